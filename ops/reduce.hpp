// SPDX-License-Identifier: MIT
#pragma once
// Reductions.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor sum(const Tensor& x);   // all elements -> 0-D
Tensor mean(const Tensor& x);  // all elements -> 0-D
Tensor sum(const Tensor& x, std::ptrdiff_t axis, bool keepdims = false);
Tensor mean(const Tensor& x, std::ptrdiff_t axis, bool keepdims = false);
// Largest entry along axis; the gradient goes to the (first) argmax.
Tensor max(const Tensor& x, std::ptrdiff_t axis, bool keepdims = false);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
