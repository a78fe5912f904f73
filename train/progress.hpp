// SPDX-License-Identifier: MIT
#pragma once
// A progress line for training loops: step, loss, tokens/s and ETA. On a
// terminal it redraws one line; otherwise (logs, CI) it prints a line every
// `every` steps so the output stays readable.

#include <chrono>
#include <cstddef>
#include <string>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

class Progress {
public:
    Progress(std::size_t total_steps, std::string label = "train", std::size_t every = 50);
    // Call after each step with its loss and the number of tokens it processed.
    void update(std::size_t step, double loss, std::size_t tokens);
    // Prints a message on its own line (redrawing the bar after it on a terminal).
    void message(const std::string& text);
    void finish();
    double seconds() const;

private:
    void draw(bool final);
    std::size_t total_, every_, step_ = 0, tokens_ = 0;
    std::size_t before_ = 0;  // steps done before the first update (a resumed run)
    bool started_ = false;
    double loss_ = 0;
    bool tty_, drawn_ = false;
    std::string label_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
