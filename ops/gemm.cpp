// SPDX-License-Identifier: MIT
#include "gemm.hpp"

#include <algorithm>

#include "../speed/parallel.hpp"

// The config first: it defines HAVE_CBLAS, without which cxxblas silently
// falls back to its slow generic loops instead of calling OpenBLAS.
#include <xtensor-blas/xblas_config.hpp>
#include <xflens/cxxblas/cxxblas.cxx>

#ifndef HAVE_CBLAS
#error "tapegrad needs cxxblas to call CBLAS (OpenBLAS)"
#endif

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {

void blas_gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, real alpha, const real* A,
               std::size_t lda, const real* B, std::size_t ldb, real beta, real* C, std::size_t ldc) {
    using I = xt::blas_index_t;
    cxxblas::gemm<I>(cxxblas::StorageOrder::RowMajor, trans_a ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans,
                     trans_b ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans, static_cast<I>(M),
                     static_cast<I>(N), static_cast<I>(K), alpha, A, static_cast<I>(lda), B, static_cast<I>(ldb), beta,
                     C, static_cast<I>(ldc));
}

// Below this many flops a product is cheaper on one thread than the hand-off
// to a second (about a microsecond while the workers spin).
constexpr double kSplitFlops = 1 << 19;
// Slab edges fall on multiples of a vector register of floats.
constexpr std::size_t kSlabAlign = 16;
// OpenBLAS (0.3.21 on AVX-512) multiplies untransposed operands of up to about
// 1e6 multiply-adds without packing them first. A batch-sized product above
// that -- the gradient dh = dG W_hh of a recurrent step, 32x512 by 512x128 --
// ran 1.2-1.5x faster as a few such column slabs than whole (one thread, the
// workloads' shapes); larger M gained nothing. Past kSmallTotal the slabs
// get many and narrow, their rows of B far apart, and the packed kernel on
// one slab per thread wins (32x512 by 512x2048: 550 us in 32-column slabs,
// 300 us in two).
constexpr double kSmallMacs = 1e6;
constexpr double kSmallTotal = 8e6;
constexpr std::size_t kSmallRows = 64;

// The widest cut of N columns into pieces -- a multiple of `step` of them,
// each kSlabAlign-aligned -- that keeps m rows x K within the unpacked
// kernel's kSmallMacs; 0 if not even kSlabAlign columns do.
std::size_t small_width(std::size_t m, std::size_t N, std::size_t K, std::size_t step) {
    const std::size_t widest = std::size_t(kSmallMacs / (double(m) * double(K)));
    for (std::size_t parts = step; widest >= kSlabAlign; parts += step) {
        const std::size_t n = ((N + parts - 1) / parts + kSlabAlign - 1) / kSlabAlign * kSlabAlign;
        if (n <= widest) return n;
    }
    return 0;
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, real alpha, const real* A,
          std::size_t lda, const real* B, std::size_t ldb, real beta, real* C, std::size_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0) {  // BLAS leaves C untouched when K = 0 only if beta = 1
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0 ? real(0) : beta * C[i * ldc + j];
        return;
    }
    const std::size_t threads = num_threads();
    const double macs = double(M) * double(N) * double(K);
    // Slabs of C, cut across its rows (rows of op(A)) or its columns (columns
    // of op(B)); slab = 0 keeps the product whole.
    bool by_rows = false;
    std::size_t slab = 0;
    if (!trans_a && !trans_b && M <= kSmallRows && macs <= kSmallTotal && 2 * macs >= kSplitFlops && threads > 1 &&
        M >= 8 * threads) {
        // A batch-sized product: one slab of rows per thread -- the same rows
        // the batch's elementwise ops give that thread (parallel_for), so A's
        // rows and C's are in its core's cache -- each slab in column chunks
        // small enough for the unpacked kernel.
        const std::size_t rows = (M + threads - 1) / threads;
        parallel_parts((M + rows - 1) / rows, [&](std::size_t p) {
            const std::size_t r0 = p * rows, m = std::min(rows, M - r0);
            const std::size_t fits = small_width(m, N, K, 1), width = fits ? fits : N;
            for (std::size_t c0 = 0; c0 < N; c0 += width)
                blas_gemm(false, false, m, std::min(width, N - c0), K, alpha, A + r0 * lda, lda, B + c0, ldb, beta,
                          C + r0 * ldc + c0, ldc);
        });
        return;
    }
    if (!trans_a && !trans_b && M <= kSmallRows && macs > kSmallMacs && macs <= kSmallTotal) {
        // Column slabs small enough for OpenBLAS's unpacked small-matrix path,
        // as many as a multiple of the thread count so that none waits on a
        // last odd slab (32x128 by 128x512: 4 slabs of 128, not 224+224+64).
        slab = small_width(M, N, K, threads);
        if (slab >= N) slab = 0;
    }
    if (slab == 0 && threads > 1 && 2 * macs >= kSplitFlops) {  // one slab per thread, across the longer side
        by_rows = M >= N;
        const std::size_t side = by_rows ? M : N;
        slab = (side + threads - 1) / threads;
        slab = (slab + kSlabAlign - 1) / kSlabAlign * kSlabAlign;
        if (slab >= side) slab = 0;
    }
    if (slab > 0) {
        const std::size_t side = by_rows ? M : N, parts = (side + slab - 1) / slab;
        parallel_parts(parts, [&](std::size_t p) {
            const std::size_t lo = p * slab, n = std::min(slab, side - lo);
            if (by_rows)
                blas_gemm(trans_a, trans_b, n, N, K, alpha, trans_a ? A + lo : A + lo * lda, lda, B, ldb, beta,
                          C + lo * ldc, ldc);
            else
                blas_gemm(trans_a, trans_b, M, n, K, alpha, A, lda, trans_b ? B + lo * ldb : B + lo, ldb, beta,
                          C + lo, ldc);
        });
        return;
    }
    blas_gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
