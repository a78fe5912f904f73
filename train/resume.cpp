// SPDX-License-Identifier: MIT
#include "resume.hpp"

#include <fmt/core.h>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

long resume_from(bool resume, const std::string& path, nn::Module& model, optim::Optimizer& opt, nn::RunState& run) {
    if (!resume) return 1;
    nn::load_checkpoint(path, model, &opt, run);
    const long done = long(run.counter("step"));
    fmt::print("resumed from {} after step {}\n", path, done);
    return done + 1;
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
