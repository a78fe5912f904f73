#include "gemm.hpp"

// The config first: it defines HAVE_CBLAS, without which cxxblas silently
// falls back to its slow generic loops instead of calling OpenBLAS.
#include <xtensor-blas/xblas_config.hpp>
#include <xflens/cxxblas/cxxblas.cxx>

#ifndef HAVE_CBLAS
#error "tapegrad needs cxxblas to call CBLAS (OpenBLAS)"
#endif

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, real alpha, const real* A,
          std::size_t lda, const real* B, std::size_t ldb, real beta, real* C, std::size_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0) {  // BLAS leaves C untouched when K = 0 only if beta = 1
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0 ? real(0) : beta * C[i * ldc + j];
        return;
    }
    using I = xt::blas_index_t;
    cxxblas::gemm<I>(cxxblas::StorageOrder::RowMajor, trans_a ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans,
                     trans_b ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans, static_cast<I>(M),
                     static_cast<I>(N), static_cast<I>(K), alpha, A, static_cast<I>(lda), B, static_cast<I>(ldb), beta,
                     C, static_cast<I>(ldc));
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
