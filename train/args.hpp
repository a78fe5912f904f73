#pragma once
// Command-line options for the example programs, declared where they are
// read:
//     Args args(argc, argv, "Trains ...");
//     int steps = args.get("steps", 600, "training steps");
//     args.done();   // --help prints every option; unknown options are an error
// Options are written --name value (or --name=value); flags --name.

#include <map>
#include <string>
#include <vector>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

class Args {
public:
    Args(int argc, char** argv, std::string description);
    long get(const std::string& name, long fallback, const std::string& help);
    double get(const std::string& name, double fallback, const std::string& help);
    std::string get(const std::string& name, const std::string& fallback, const std::string& help);
    std::string get(const std::string& name, const char* fallback, const std::string& help) {
        return get(name, std::string(fallback), help);
    }
    bool flag(const std::string& name, const std::string& help);
    // Exits: 0 after printing --help, 2 on an unknown option or a bad value.
    void done();

private:
    const std::string* raw(const std::string& name, const std::string& fallback, const std::string& help);
    std::string program_, description_;
    std::map<std::string, std::string> given_;
    std::map<std::string, bool> used_;
    std::vector<std::string> help_lines_;
    std::vector<std::string> errors_;
    bool want_help_ = false;
};

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
