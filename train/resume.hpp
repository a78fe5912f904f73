// SPDX-License-Identifier: MIT
#pragma once
// --resume in the training programs: one call where each had the same five
// lines.

#include <string>

#include "../nn/checkpoint.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

// The step to start from: 1 if !resume; otherwise the checkpoint at `path`
// is loaded into model, optimizer and run (all or nothing), the program
// says so ("resumed from PATH after step N"), and the answer is the step
// after the saved counter "step".
long resume_from(bool resume, const std::string& path, nn::Module& model, optim::Optimizer& opt, nn::RunState& run);

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
