// SPDX-License-Identifier: MIT
#pragma once
// Gradient clipping, the cure for exploding gradients in BPTT.

#include <vector>

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

// Scales all gradients together so their global L2 norm is at most max_norm.
// Returns the norm before clipping (useful to log). Parameters without a
// gradient are skipped.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);
// Clamps every gradient entry to [-limit, limit].
void clip_grad_value(const std::vector<Tensor>& params, real limit);
// PyTorch's spellings (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
inline double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
    return clip_grad_norm(params, max_norm);
}
inline void clip_grad_value_(const std::vector<Tensor>& params, real limit) { clip_grad_value(params, limit); }

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
