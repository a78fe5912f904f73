// SPDX-License-Identifier: MIT
// alpha = softmax_s(e_s), e_s = q . a_s  =>  de_s = alpha_s (dalpha_s - sum_j dalpha_j alpha_j),
//                                          dq = sum_s de_s a_s,  da_s += de_s q
// c = sum_s alpha_s a_s                 =>  dalpha_s = dc . a_s,  da_s += alpha_s dc
//
// Each batch row is one unit of work (its keys fit in L1), shared among
// tapegrad's threads; a row's sums always run in the same order, so results
// do not depend on the thread count.
#include "attention.hpp"

#include <algorithm>

#include "../speed/parallel.hpp"
#include "../autograd/record.hpp"
#include "vecmath.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 warns falsely inside its own AVX-512 intrinsics when xsimd inlines them.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {

using Batch = xsimd::batch<real>;
constexpr std::size_t kLanes = Batch::size;

// out[s] = rows[s] . x for the n rows [n, K] of one batch entry. Four rows
// at a time, with a vector of partial sums each: independent chains that
// hide each other's latency, and x loaded once for the four.
void row_dots(const real* rows, const real* x, real* out, std::size_t n, std::size_t K) {
    const std::size_t Kv = K / kLanes * kLanes;
    auto tail = [&](std::size_t s) {
        real t = 0;
        for (std::size_t i = Kv; i < K; ++i) t += rows[s * K + i] * x[i];
        return t;
    };
    std::size_t s = 0;
    for (; s + 4 <= n; s += 4) {
        const real* r0 = rows + s * K;
        Batch a0(real(0)), a1(real(0)), a2(real(0)), a3(real(0));
        for (std::size_t i = 0; i < Kv; i += kLanes) {
            const Batch xv = Batch::load_unaligned(x + i);
            a0 = xsimd::fma(Batch::load_unaligned(r0 + i), xv, a0);
            a1 = xsimd::fma(Batch::load_unaligned(r0 + K + i), xv, a1);
            a2 = xsimd::fma(Batch::load_unaligned(r0 + 2 * K + i), xv, a2);
            a3 = xsimd::fma(Batch::load_unaligned(r0 + 3 * K + i), xv, a3);
        }
        out[s] = xsimd::hadd(a0) + tail(s);
        out[s + 1] = xsimd::hadd(a1) + tail(s + 1);
        out[s + 2] = xsimd::hadd(a2) + tail(s + 2);
        out[s + 3] = xsimd::hadd(a3) + tail(s + 3);
    }
    for (; s < n; ++s) {
        Batch a(real(0));
        for (std::size_t i = 0; i < Kv; i += kLanes)
            a = xsimd::fma(Batch::load_unaligned(rows + s * K + i), Batch::load_unaligned(x + i), a);
        out[s] = xsimd::hadd(a) + tail(s);
    }
}

// y += s x
void axpy(real s, const real* __restrict x, real* __restrict y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] += s * x[i];
}

struct Dims {
    std::size_t B, S, K;
};

Dims key_dims(const char* op, const Tensor& keys) {
    if (keys.dim() != 3) fail("{}: keys {} are not [batch, source, size]", op, shape_str(keys.shape()));
    const Shape& s = keys.shape();
    if (s[1] == 0) fail<ValueError>("{}: keys {} have no source positions", op, shape_str(s));
    return {s[0], s[1], s[2]};
}

// body(b) for each batch row, rows shared among the threads
template <class F>
void for_batch(const Dims& d, F&& body) {
    parallel_for(d.B, rows_per_grain(2 * d.S * d.K), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t b = lo; b < hi; ++b) body(b);
    });
}
}  // namespace

Tensor attention_weights(const Tensor& q, const Tensor& keys, const Tensor& mask) {
    const Dims d = key_dims("attention_weights", keys);
    if (q.dim() != 2 || q.shape()[0] != d.B || q.shape()[1] != d.K)
        fail("attention_weights: query {} is not [{}, {}] to match keys {}", shape_str(q.shape()), d.B, d.K,
             shape_str(keys.shape()));
    if (mask.defined() && mask.shape() != make_shape({d.B, d.S}))
        fail("attention_weights: mask {} is not [{}, {}] to match keys {}", shape_str(mask.shape()), d.B, d.S,
             shape_str(keys.shape()));
    Array alpha = Array::from_shape({d.B, d.S});
    const real* qv = q.data();
    const real* kv = keys.data();
    const real* mv = mask.defined() ? mask.data() : nullptr;
    real* av = alpha.data();
    for_batch(d, [&](std::size_t b) {
        real* e = av + b * d.S;
        row_dots(kv + b * d.S * d.K, qv + b * d.K, e, d.S, d.K);  // e_s = a_s . q
        if (mv) {  // padding gets weight exactly 0
            masked_softmax_row(e, mv + b * d.S, e, d.S);
            return;
        }
        // softmax in place: exp(e_s - max) / sum
        const real inv = real(1) / vec_exp_row(e, e, d.S).sum;
        for (std::size_t s = 0; s < d.S; ++s) e[s] *= inv;
    });
    auto backward = [d](TensorImpl& y) {
        TensorImpl& Q = *y.inputs[0];
        TensorImpl& Kt = *y.inputs[1];
        const real* mv = y.inputs.size() > 2 ? y.inputs[2]->value.data() : nullptr;
        real* dq = Q.requires_grad ? grad_into(Q, true).data : nullptr;
        real* dk = Kt.requires_grad ? grad_into(Kt, true).data : nullptr;
        const real* qv = Q.value.data();
        const real* kv = Kt.value.data();
        const real* av = y.value.data();
        const real* dav = y.grad.data();
        for_batch(d, [&](std::size_t b) {
            const real* a = av + b * d.S;
            const real* da = dav + b * d.S;
            real dot_a = 0;
            for (std::size_t s = 0; s < d.S; ++s) dot_a += da[s] * a[s];
            for (std::size_t s = 0; s < d.S; ++s) {
                if (mv && mv[b * d.S + s] == 0) continue;  // a constant score: nothing flows back
                const real de = a[s] * (da[s] - dot_a);
                const std::size_t row = (b * d.S + s) * d.K;
                if (dq) axpy(de, kv + row, dq + b * d.K, d.K);
                if (dk) axpy(de, qv + b * d.K, dk + row, d.K);
            }
        });
    };
    if (mask.defined()) return record("attention_weights", std::move(alpha), {q, keys, mask}, backward);
    return record("attention_weights", std::move(alpha), {q, keys}, backward);
}

Tensor attention_context(const Tensor& alpha, const Tensor& keys) {
    const Dims d = key_dims("attention_context", keys);
    if (alpha.shape() != make_shape({d.B, d.S}))
        fail("attention_context: weights {} are not [{}, {}] to match keys {}", shape_str(alpha.shape()), d.B, d.S,
             shape_str(keys.shape()));
    Array c = Array::from_shape({d.B, d.K});
    const real* av = alpha.data();
    const real* kv = keys.data();
    real* cv = c.data();
    for_batch(d, [&](std::size_t b) {
        real* cb = cv + b * d.K;
        std::fill(cb, cb + d.K, real(0));
        for (std::size_t s = 0; s < d.S; ++s) axpy(av[b * d.S + s], kv + (b * d.S + s) * d.K, cb, d.K);
    });
    return record("attention_context", std::move(c), {alpha, keys}, [d](TensorImpl& y) {
        TensorImpl& A = *y.inputs[0];
        TensorImpl& Kt = *y.inputs[1];
        real* da = A.requires_grad ? grad_into(A, true).data : nullptr;
        real* dk = Kt.requires_grad ? grad_into(Kt, true).data : nullptr;
        const real* av = A.value.data();
        const real* kv = Kt.value.data();
        const real* dc = y.grad.data();
        Array dots;  // dc . a_s for every row, added to the weights' gradient
        if (da) dots = Array::from_shape({d.B, d.S});
        for_batch(d, [&](std::size_t b) {
            if (da) {
                real* db = dots.data() + b * d.S;
                row_dots(kv + b * d.S * d.K, dc + b * d.K, db, d.S, d.K);
                for (std::size_t s = 0; s < d.S; ++s) da[b * d.S + s] += db[s];
            }
            if (dk)
                for (std::size_t s = 0; s < d.S; ++s)
                    axpy(av[b * d.S + s], dc + b * d.K, dk + (b * d.S + s) * d.K, d.K);
        });
    });
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
