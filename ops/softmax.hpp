// SPDX-License-Identifier: MIT
#pragma once
// Softmax and log-softmax along an axis, computed stably (max subtracted).
// An axis of length 0 gives an empty result.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor softmax(const Tensor& x, std::ptrdiff_t axis = -1);
Tensor log_softmax(const Tensor& x, std::ptrdiff_t axis = -1);
// log(sum(exp(x))) along an axis, stably; the axis is dropped unless keepdims.
Tensor logsumexp(const Tensor& x, std::ptrdiff_t axis = -1, bool keepdims = false);
// Softmax over the positions where `mask` (the scores' shape) is nonzero;
// masked positions get exactly 0 whatever their scores, and a lane with
// every position masked is all 0. Attention over padded sequences.
Tensor masked_softmax(const Tensor& x, const Tensor& mask, std::ptrdiff_t axis = -1);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
