// SPDX-License-Identifier: MIT
#pragma once
// Profiler: where a step's time goes, op by op.
//
//   tapegrad::Profiler prof;
//   for (...) train_step();
//   std::cout << prof.table();
//
// While a Profiler is alive, the ops this thread records and the backward
// steps it runs are tallied by op name. The tape learns of an op only when
// its result is ready, so an op's forward time is the time since the
// previous op on this thread (or since the last mark): code between two ops
// counts to the later one, and `mark("adam")` closes such a stretch under a
// name of its own. Backward times are per node and exact. With no Profiler
// alive the cost is one thread-local load per op.

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

class Profiler {
public:
    struct Row {
        std::string op;
        std::size_t forward_calls = 0, backward_calls = 0;
        double forward_ms = 0, backward_ms = 0;
        double total_ms() const { return forward_ms + backward_ms; }
    };

    Profiler();   // becomes this thread's active profiler
    ~Profiler();  // hands back to the one active before
    Profiler(const Profiler&) = delete;
    Profiler& operator=(const Profiler&) = delete;

    // The time since the previous op or mark, charged to `what` (a string
    // that outlives the profiler, e.g. a literal).
    void mark(const char* what);
    void reset();  // forget everything tallied so far

    std::vector<Row> rows() const;  // most total time first
    double total_ms() const;
    // A text table: op, calls, forward ms, backward ms, share of the total.
    std::string table(std::size_t max_rows = 25) const;

    // Hooks for the tape and the backward walk.
    using Clock = std::chrono::steady_clock;
    void forward_done(const char* op);
    void backward_done(const char* op, Clock::time_point start);

private:
    struct Tally {
        std::size_t forward_calls = 0, backward_calls = 0;
        Clock::duration forward{}, backward{};
    };
    // Keyed by the op's static name pointer: a hash of one word per op.
    std::unordered_map<const char*, Tally> tallies_;
    Clock::time_point last_;
    Profiler* prev_;
};

// This thread's active profiler, or nullptr.
Profiler* active_profiler();

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
