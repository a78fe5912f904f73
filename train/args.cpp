#include "args.hpp"

#include <cstdio>
#include <cstdlib>
#include <fmt/core.h>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

Args::Args(int argc, char** argv, std::string description) : program_(argv[0]), description_(std::move(description)) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            want_help_ = true;
            continue;
        }
        if (a.rfind("--", 0) != 0) {
            errors_.push_back("unexpected argument '" + a + "'");
            continue;
        }
        a = a.substr(2);
        const auto eq = a.find('=');
        if (eq != std::string::npos) {
            given_[a.substr(0, eq)] = a.substr(eq + 1);
        } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
            given_[a] = argv[++i];
        } else {
            given_[a] = "";  // a flag
        }
    }
}

const std::string* Args::raw(const std::string& name, const std::string& fallback, const std::string& help) {
    help_lines_.push_back(fmt::format("  --{:<16} {} (default: {})", name, help, fallback.empty() ? "none" : fallback));
    used_[name] = true;
    auto it = given_.find(name);
    return it == given_.end() ? nullptr : &it->second;
}

long Args::get(const std::string& name, long fallback, const std::string& help) {
    const std::string* v = raw(name, std::to_string(fallback), help);
    if (!v) return fallback;
    char* end = nullptr;
    const long r = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end) errors_.push_back("--" + name + " needs a whole number, got '" + *v + "'");
    return r;
}

double Args::get(const std::string& name, double fallback, const std::string& help) {
    const std::string* v = raw(name, fmt::format("{}", fallback), help);
    if (!v) return fallback;
    char* end = nullptr;
    const double r = std::strtod(v->c_str(), &end);
    if (v->empty() || *end) errors_.push_back("--" + name + " needs a number, got '" + *v + "'");
    return r;
}

std::string Args::get(const std::string& name, const std::string& fallback, const std::string& help) {
    const std::string* v = raw(name, fallback, help);
    return v ? *v : fallback;
}

bool Args::flag(const std::string& name, const std::string& help) {
    help_lines_.push_back(fmt::format("  --{:<16} {}", name, help));
    used_[name] = true;
    auto it = given_.find(name);
    if (it == given_.end()) return false;
    if (!it->second.empty()) errors_.push_back("--" + name + " takes no value");
    return true;
}

void Args::done() {
    if (want_help_) {
        fmt::print("usage: {} [options]\n{}\n\noptions:\n", program_, description_);
        for (const auto& l : help_lines_) fmt::print("{}\n", l);
        fmt::print("  --{:<16} {}\n", "help", "this text");
        std::exit(0);
    }
    for (const auto& [name, value] : given_)
        if (!used_.count(name)) errors_.push_back("unknown option --" + name);
    if (!errors_.empty()) {
        for (const auto& e : errors_) std::fprintf(stderr, "%s: %s\n", program_.c_str(), e.c_str());
        std::fprintf(stderr, "%s: see --help\n", program_.c_str());
        std::exit(2);
    }
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
