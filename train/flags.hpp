// SPDX-License-Identifier: MIT
#pragma once
// Command-line flags for the example programs, over CLI11. Every flag is
// declared with the values it may take, so a bad one is refused in one line
// before anything runs:
//
//   CLI::App app{"Trains ...", "date_translation"};
//   long steps = 600;
//   app.add_option("--steps", steps, "training steps")->check(CLI::Range(1L, train::kMaxCount));
//   double lr = 3e-3;
//   app.add_option("--lr", lr, "Adam learning rate")->check(train::Positive);
//   if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
//
// and main calls the program through train::guarded_main, so that any error
// -- a file that cannot be read, memory a size flag asked for and the
// machine does not have -- ends in one line on stderr and exit status 1,
// never in "terminate called".

#include <CLI/CLI.hpp>
#include <functional>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

// An upper bound for counts (steps, sizes): far above any real use, far
// below an overflow.
constexpr long kMaxCount = 100'000'000;

// Validators CLI11 lacks. CLI::Range lets NaN through (every comparison
// with it is false), so the real-valued ones check finiteness first.
CLI::Validator real_range(double lo, double hi);  // finite, in [lo, hi]
CLI::Validator real_below(double lo, double hi);  // finite, in [lo, hi): a probability that must stay below 1
extern const CLI::Validator Positive;             // finite, > 0
CLI::Validator MultipleOf(long n);                // an integer divisible by n (a width split into heads)
// A directory, or a path where one can be made (not an existing file).
extern const CLI::Validator OutputDir;

// Parses argv. Returns -1 to go on, or the status to exit with: 0 after
// printing --help, 2 after printing one line naming the bad flag.
int parse_flags(CLI::App& app, int argc, char** argv);

// Runs program(argc, argv); any exception it throws is printed as one line,
// "<name>: <what went wrong>", and gives exit status 1.
int guarded_main(const char* name, int (*program)(int, char**), int argc, char** argv);

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
