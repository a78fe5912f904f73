// SPDX-License-Identifier: MIT
#pragma once
// Losses over sequences. L = sum_t L_t (Sum) or the mean over real tokens
// (Mean); padding positions count for nothing.

#include "../ops/loss.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

// logits [T, B, V] (or [B, T, V]), targets of the same leading shape; tokens
// equal to pad_id are ignored.
Tensor sequence_cross_entropy(const Tensor& logits, const IndexArray& targets, Index pad_id = -100,
                              Reduction reduction = Reduction::Mean);

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
