// SPDX-License-Identifier: MIT
#include "profiler.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "anomaly.hpp"
#include "error.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// Per thread: a profiler tallies the ops of the thread that made it.
thread_local Profiler* t_active = nullptr;
double ms(Profiler::Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
}  // namespace

Profiler* active_profiler() { return t_active; }

Profiler::Profiler() : last_(Clock::now()), prev_(t_active) {
    detail::observe_tape();
    t_active = this;
}
Profiler::~Profiler() { t_active = prev_; }

void Profiler::forward_done(const char* op) {
    const auto now = Clock::now();
    Tally& t = tallies_[op];
    ++t.forward_calls;
    t.forward += now - last_;
    last_ = now;
}

void Profiler::mark(const char* what) {
    if (!what) fail<ValueError>("Profiler::mark: the name is null");
    forward_done(what);
}

void Profiler::backward_done(const char* op, Clock::time_point start) {
    const auto now = Clock::now();
    tallies_["(backward walk)"].backward += start - last_;  // sorting, freeing nodes
    Tally& t = tallies_[op];
    ++t.backward_calls;
    t.backward += now - start;
    last_ = now;
}

void Profiler::reset() {
    tallies_.clear();
    last_ = Clock::now();
}

std::vector<Profiler::Row> Profiler::rows() const {
    // Two ops may share a name at different addresses (one literal per
    // translation unit): merge by text.
    std::map<std::string, Row> merged;
    for (const auto& [op, t] : tallies_) {
        Row& r = merged[op];
        r.op = op;
        r.forward_calls += t.forward_calls;
        r.backward_calls += t.backward_calls;
        r.forward_ms += ms(t.forward);
        r.backward_ms += ms(t.backward);
    }
    std::vector<Row> out;
    for (auto& [name, r] : merged) out.push_back(std::move(r));
    std::stable_sort(out.begin(), out.end(), [](const Row& a, const Row& b) { return a.total_ms() > b.total_ms(); });
    return out;
}

double Profiler::total_ms() const {
    double s = 0;
    for (const Row& r : rows()) s += r.total_ms();
    return s;
}

std::string Profiler::table(std::size_t max_rows) const {
    const std::vector<Row> rs = rows();
    const double total = total_ms();
    std::string out = fmt::format("{:<24} {:>8} {:>12} {:>8} {:>12} {:>7}\n", "op", "fwd n", "forward ms", "bwd n",
                                  "backward ms", "share");
    for (std::size_t i = 0; i < rs.size() && i < max_rows; ++i) {
        const Row& r = rs[i];
        out += fmt::format("{:<24} {:>8} {:>12.3f} {:>8} {:>12.3f} {:>6.1f}%\n", r.op, r.forward_calls, r.forward_ms,
                           r.backward_calls, r.backward_ms, total > 0 ? 100 * r.total_ms() / total : 0.0);
    }
    if (rs.size() > max_rows) out += fmt::format("({} more ops)\n", rs.size() - max_rows);
    out += fmt::format("{:<24} {:>8} {:>12} {:>8} {:>12.3f}\n", "total", "", "", "", total);
    return out;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
