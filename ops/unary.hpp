// SPDX-License-Identifier: MIT
#pragma once
// Elementwise functions of one tensor.

#include "../autograd/tensor.hpp"
#include "pointwise.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor exp(Operand x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor tanh(Operand x);
Tensor sigmoid(Operand x);
Tensor relu(Operand x);
// min(max(x, lo), hi); the gradient passes where lo <= x <= hi.
Tensor clamp(const Tensor& x, real lo, real hi);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
