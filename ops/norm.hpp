// SPDX-License-Identifier: MIT
#pragma once
// Layer normalisation over the last axis (Ba, Kiros, Hinton 2016):
//     y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias
// mean and (biased) variance over the last axis of each row; the variance
// from the centred values (two passes over a row that stays in cache), so
// that a large mean does not cancel it away. One pass each way.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// x [..., n]; weight and bias [n] (either may be undefined: 1 and 0).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, real eps = real(1e-5));

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
