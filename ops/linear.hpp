// SPDX-License-Identifier: MIT
#pragma once
// The affine map of every layer, with PyTorch's weight layout [out, in]:
// y = x W^T + b: one GEMM (speed/transposed_weight.hpp and
// speed/staged_gemm.hpp say how the speed layers serve it).

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// x: [..., in], W: [out, in], b: [out] or undefined  ->  [..., out].
// Leading axes are folded into one, so [T, B, in] is a single GEMM.
Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b = Tensor());


}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
