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

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
