// SPDX-License-Identifier: MIT
// Y = A B.  dA = dY B^T,  dB = A^T dY.  The gradients are written by GEMM
// straight into the inputs' grad buffers (beta = 1 when one exists already),
// with the transposes passed as flags.
#include "matmul.hpp"

#include <algorithm>

#include "../autograd/record.hpp"
#include "gemm.hpp"
#include "../speed/parallel.hpp"
#include "../speed/staged_gemm.hpp"
#include "../speed/transposed_weight.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// Runs f(i) for the nb products of a batch, one per thread at a time (each
// GEMM on its own thread, rather than each split by the BLAS), in parts of
// at least 2^16 multiply-adds.
template <class F>
void each_product(std::size_t nb, std::size_t M, std::size_t N, std::size_t K, F&& f) {
    const std::size_t grain = std::max<std::size_t>(1, (1u << 16) / std::max<std::size_t>(1, M * N * K));
    parallel_for(nb, grain, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) f(i);
    });
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    const Shape& sa = a.shape();
    const Shape& sb = b.shape();
    const bool ok_rank = (sa.size() == 2 && sb.size() == 2) || (sa.size() == 3 && (sb.size() == 2 || sb.size() == 3));
    if (!ok_rank)
        fail("matmul: expects [M,K]@[K,N], [B,M,K]@[B,K,N] or [B,M,K]@[K,N]; got {} @ {}", shape_str(sa),
             shape_str(sb));
    const std::size_t K = sa.back();
    const std::size_t Kb = sb[sb.size() - 2];
    if (K != Kb) fail("matmul: inner dimensions differ: {} @ {} ({} vs {})", shape_str(sa), shape_str(sb), K, Kb);
    if (sa.size() == 3 && sb.size() == 3 && sa[0] != sb[0])
        fail("matmul: batch sizes differ: {} @ {}", shape_str(sa), shape_str(sb));

    const std::size_t N = sb.back();
    // Batched weight-shared case folds the batch into M: [B*M,K]@[K,N].
    const bool batched = sb.size() == 3;
    const std::size_t nb = batched ? sa[0] : 1;
    const std::size_t M = batched ? sa[1] : (sa.size() == 3 ? sa[0] * sa[1] : sa[0]);  // not numel / K: K may be 0
    Shape out_shape = sa;
    out_shape.back() = N;
    checked_size("matmul", out_shape);
    Array y = Array::from_shape(out_shape);
    auto each = [nb, M, N, K](auto&& f) { each_product(nb, M, N, K, f); };  // attention's heads, say
    each([&](std::size_t i) {
        gemm(false, false, M, N, K, 1, a.data() + i * M * K, K, b.data() + i * K * N, N, 0, y.data() + i * M * N, N);
    });

    // x W with a weight W, a batch of rows at a time (an attention query's
    // projection each decoder step): as linear does, dA multiplies by a W^T
    // made once per graph, and dW is staged to one GEMM at the walk's end.
    const std::shared_ptr<const Array> wt =
        sb.size() == 2 ? transposed_weight::of(b, M, needs_record({&a, &b})) : nullptr;
    const bool shared = sb.size() == 2;  // one weight for every row
    return record("matmul", std::move(y), {a, b}, [nb, M, N, K, wt, shared, each](TensorImpl& y) {
        TensorImpl& A = *y.inputs[0];
        TensorImpl& B = *y.inputs[1];
        const real* g = y.grad.data();
        if (A.requires_grad) {  // dA = dY B^T
            const GradBuffer da = grad_into(A);
            if (wt)
                gemm(false, false, M, K, N, 1, g, N, wt->data(), K, da.beta, da.data, K);
            else
                each([&](std::size_t i) {
                    gemm(false, true, M, K, N, 1, g + i * M * N, N, B.value.data() + i * K * N, N, da.beta,
                         da.data + i * M * K, K);
                });
        }
        // a 2-D weight's dB staged to the walk's end, as linear's dW
        static const ImplPtr kNoBias;
        if (shared && staged::stage(g, A.value.data(), y.inputs[1], kNoBias, M, K, N, /*in_out=*/true)) return;
        if (B.requires_grad) {  // dB = A^T dY  (a shared B has nb = 1: one GEMM sums over the batch)
            const GradBuffer db = grad_into(B);
            if (nb == 1 || shared)
                for (std::size_t i = 0; i < nb; ++i)  // (a shared B sums over the batch: not in parallel)
                    gemm(true, false, K, N, M, 1, A.value.data() + i * M * K, K, g + i * M * N, N, db.beta,
                         db.data + i * K * N, N);
            else
                each([&](std::size_t i) {
                    gemm(true, false, K, N, M, 1, A.value.data() + i * M * K, K, g + i * M * N, N, db.beta,
                         db.data + i * K * N, N);
                });
        }
    }, Output::unread);
}

// Y = a op(A) op(B).  With G = dY:
//   dop(A) = a G op(B)^T,  dop(B) = a op(A)^T G,
// each written in its input's own layout (the transpose of dop when that
// input was transposed), as GEMMs with transpose flags.
Tensor bmm(const Tensor& a, const Tensor& b, bool ta, bool tb, real alpha) {
    const Shape& sa = a.shape();
    const Shape& sb = b.shape();
    if (sa.size() != 3 || sb.size() != 3 || sa[0] != sb[0])
        fail("bmm: expects two batches of matrices [B, ., .] of one batch size; got {} and {}", shape_str(sa), shape_str(sb));
    const std::size_t nb = sa[0], M = ta ? sa[2] : sa[1], K = ta ? sa[1] : sa[2];
    const std::size_t Kb = tb ? sb[2] : sb[1], N = tb ? sb[1] : sb[2];
    if (K != Kb)
        fail("bmm: inner dimensions differ: {}{} @ {}{} ({} vs {})", shape_str(sa), ta ? "^T" : "", shape_str(sb),
             tb ? "^T" : "", K, Kb);
    const std::size_t lda = ta ? M : K, ldb = tb ? K : N;
    Array y = Array::from_shape({nb, M, N});
    auto each = [nb, M, N, K](auto&& f) { each_product(nb, M, N, K, f); };
    each([&](std::size_t i) {
        gemm(ta, tb, M, N, K, alpha, a.data() + i * M * K, lda, b.data() + i * K * N, ldb, 0, y.data() + i * M * N, N);
    });
    return record("bmm", std::move(y), {a, b}, [=](TensorImpl& y) {
        TensorImpl& A = *y.inputs[0];
        TensorImpl& B = *y.inputs[1];
        const real* g = y.grad.data();
        const real* av = A.value.data();
        const real* bv = B.value.data();
        if (A.requires_grad) {
            const GradBuffer da = grad_into(A);
            each([&](std::size_t i) {
                const real* gi = g + i * M * N;
                const real* bi = bv + i * K * N;
                real* di = da.data + i * M * K;
                if (!ta) gemm(false, !tb, M, K, N, alpha, gi, N, bi, ldb, da.beta, di, K);  // dA = a G op(B)^T
                else gemm(tb, true, K, M, N, alpha, bi, ldb, gi, N, da.beta, di, M);         // dA^T = a op(B) G^T
            });
        }
        if (B.requires_grad) {
            const GradBuffer db = grad_into(B);
            each([&](std::size_t i) {
                const real* gi = g + i * M * N;
                const real* ai = av + i * M * K;
                real* di = db.data + i * K * N;
                if (!tb) gemm(!ta, false, K, N, M, alpha, ai, lda, gi, N, db.beta, di, N);  // dB = a op(A)^T G
                else gemm(true, ta, N, K, M, alpha, gi, N, ai, lda, db.beta, di, K);        // dB^T = a G^T op(A)
            });
        }
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
