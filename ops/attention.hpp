// SPDX-License-Identifier: MIT
#pragma once
// The two halves of dot-product attention for one decoder step, each one op:
//
//   alpha = attention_weights(q, keys, mask)   alpha_s = softmax_s(e_s),  e_s = q . a_s
//   c     = attention_context(alpha, keys)     c = sum_s alpha_s a_s
//
// Shapes: q [B, K], keys [B, S, K], mask [B, S] (nonzero = a real position;
// or undefined), alpha [B, S], c [B, K]. A masked position's weight is
// exactly 0 whatever its score, and no gradient flows through its score; a
// row with every position masked has all weights 0 (its context is 0).
//
// The same numbers as matmul + softmax + matmul, but each batch row's keys
// are read once per op while they sit in L1, instead of once per batched
// matrix-vector product (a decoder step's backward read them four times and
// made 128 tiny BLAS calls).

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor attention_weights(const Tensor& q, const Tensor& keys, const Tensor& mask = Tensor());
Tensor attention_context(const Tensor& alpha, const Tensor& keys);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
