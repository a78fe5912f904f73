// SPDX-License-Identifier: MIT
#pragma once
// Matrix products.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// [M,K] @ [K,N] -> [M,N]
// [B,M,K] @ [B,K,N] -> [B,M,N]   (batched)
// [B,M,K] @ [K,N] -> [B,M,N]     (one weight for every batch entry: one GEMM)
Tensor matmul(const Tensor& a, const Tensor& b);

// Batched alpha op(A) op(B), op a transpose when asked, without making the
// transpose: A [B,M,K] (or [B,K,M] with transpose_a), B [B,K,N] (or
// [B,N,K] with transpose_b) -> [B,M,N]. Attention's scores are
// bmm(q, k, false, true, 1/sqrt(d)): one GEMM per head, no copy of k^T and
// no separate scaling pass.
Tensor bmm(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false, real alpha = 1);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
