// SPDX-License-Identifier: MIT
#include "flags.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <new>

#include <fmt/core.h>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

namespace {
// The number in `s`, or a message saying why it is not a finite one.
std::string parse_finite(const std::string& s, double& v) {
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') return "'" + s + "' is not a number";
    if (!std::isfinite(v)) return "'" + s + "' is not a finite number";
    return "";
}

// finite, in [lo, hi] -- or in [lo, hi) if open_top
CLI::Validator real_interval(double lo, double hi, bool open_top) {
    const std::string interval = fmt::format("[{}, {}{}", lo, hi, open_top ? ")" : "]");
    return CLI::Validator(
        [lo, hi, open_top, interval](std::string& s) {
            double v = 0;
            std::string why = parse_finite(s, v);
            if (why.empty() && !(v >= lo && (open_top ? v < hi : v <= hi))) why = s + " is outside " + interval;
            return why;
        },
        "in " + interval);
}
}  // namespace

CLI::Validator real_range(double lo, double hi) { return real_interval(lo, hi, false); }
CLI::Validator real_below(double lo, double hi) { return real_interval(lo, hi, true); }

const CLI::Validator Positive(
    [](std::string& s) {
        double v = 0;
        std::string why = parse_finite(s, v);
        if (why.empty() && !(v > 0)) why = s + " is not above 0";
        return why;
    },
    "> 0");

CLI::Validator MultipleOf(long n) {
    return CLI::Validator(
        [n](std::string& s) -> std::string {
            try {
                std::size_t used = 0;
                const long v = std::stol(s, &used);
                if (used == s.size() && v % n == 0) return "";
            } catch (const std::exception&) {
            }
            return s + " is not a multiple of " + std::to_string(n);
        },
        "multiple of " + std::to_string(n));
}

const CLI::Validator OutputDir(
    [](std::string& s) -> std::string {
        std::error_code ec;
        if (s.empty()) return "an empty path";
        if (std::filesystem::exists(s, ec) && !std::filesystem::is_directory(s, ec))
            return "'" + s + "' exists and is not a directory";
        return "";
    },
    "DIR");

int parse_flags(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
        return -1;
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), e.what());
        return 2;
    }
}

int guarded_main(const char* name, int (*program)(int, char**), int argc, char** argv) {
    try {
        return program(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "%s: out of memory (is a size flag too large?)\n", name);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", name, e.what());
    } catch (...) {
        std::fprintf(stderr, "%s: stopped by an unknown error\n", name);
    }
    return 1;
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
