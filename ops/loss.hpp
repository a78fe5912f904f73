// SPDX-License-Identifier: MIT
#pragma once
// Losses.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

enum class Reduction { Mean, Sum, None };

// Cross-entropy from unnormalised logits [..., C] and integer targets of
// shape [...]. Positions whose target equals ignore_index (padding) add
// nothing to the loss and get zero gradient; Mean divides by the number of
// the other positions (0 when every position is ignored). None returns the
// per-position losses, shape [...].
Tensor cross_entropy(const Tensor& logits, const IndexArray& targets, Index ignore_index = -100,
                     Reduction reduction = Reduction::Mean);

// mean((a - b)^2) over all elements; a and b have the same shape.
Tensor mse(const Tensor& a, const Tensor& b);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
