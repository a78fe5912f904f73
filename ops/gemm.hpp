// SPDX-License-Identifier: MIT
#pragma once
// The single door to BLAS: C = alpha * op(A) op(B) + beta * C on row-major
// buffers, with transposes as flags (never as copies). Goes through
// xtensor-blas's cxxblas to OpenBLAS.

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// op(A) is M x K, op(B) is K x N, C is M x N; lda/ldb/ldc are row strides.
void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, real alpha, const real* A,
          std::size_t lda, const real* B, std::size_t ldb, real beta, real* C, std::size_t ldc);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
