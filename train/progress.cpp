// SPDX-License-Identifier: MIT
#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <fmt/core.h>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

Progress::Progress(std::size_t total, std::string label, std::size_t every)
    : total_(total), every_(every ? every : 1), tty_(::isatty(STDOUT_FILENO)), label_(std::move(label)),
      start_(std::chrono::steady_clock::now()) {}

double Progress::seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(std::size_t step, double loss, std::size_t tokens) {
    if (!started_) {  // a resumed run starts past step 1: the ETA counts only this run's steps
        before_ = step ? step - 1 : 0;
        started_ = true;
    }
    step_ = step;
    loss_ = loss;
    tokens_ += tokens;
    if (tty_ || step % every_ == 0 || step == total_) draw(false);
}

void Progress::draw(bool final) {
    const double s = seconds();
    const double rate = s > 0 ? double(tokens_) / s : 0;
    const std::size_t done = step_ > before_ ? step_ - before_ : 0;
    const double eta = done ? s / double(done) * double(total_ - std::min(step_, total_)) : 0;
    const std::size_t width = 24, fill = total_ ? width * std::min(step_, total_) / total_ : width;
    const std::string bar = std::string(fill, '=') + (fill < width ? ">" : "") + std::string(width - std::min(width, fill + 1), ' ');
    const std::string line = fmt::format("{} [{}] {}/{}  loss {:.4f}  {:.0f} tok/s  {} {:.0f}s", label_, bar, step_,
                                         total_, loss_, rate, final ? "took" : "ETA", final ? s : eta);
    if (tty_) {
        fmt::print("\r{}\033[K", line);
        if (final) fmt::print("\n");
    } else {
        fmt::print("{}\n", line);
    }
    std::fflush(stdout);
    drawn_ = true;
}

void Progress::message(const std::string& text) {
    if (tty_ && drawn_) fmt::print("\r\033[K");
    fmt::print("{}\n", text);
    if (tty_ && drawn_) draw(false);
    std::fflush(stdout);
}

void Progress::finish() {
    if (tty_) draw(true);
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
