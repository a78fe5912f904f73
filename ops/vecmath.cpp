// SPDX-License-Identifier: MIT
#include "vecmath.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <xsimd/xsimd.hpp>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
using batch = xsimd::batch<real>;

template <class Vec, class Scalar>
inline void apply(const real* x, real* y, std::size_t n, Vec vf, Scalar sf) {
    constexpr std::size_t W = batch::size;
    std::size_t i = 0;
    for (; i + W <= n; i += W) vf(batch::load_unaligned(x + i)).store_unaligned(y + i);
    for (; i < n; ++i) y[i] = sf(x[i]);
}
}  // namespace

void vec_exp(const real* x, real* y, std::size_t n) {
    apply(x, y, n, [](batch v) { return xsimd::exp(v); }, [](real v) { return std::exp(v); });
}

void vec_log(const real* x, real* y, std::size_t n) {
    apply(x, y, n, [](batch v) { return xsimd::log(v); }, [](real v) { return std::log(v); });
}

void vec_tanh(const real* x, real* y, std::size_t n) {
    apply(x, y, n, [](batch v) { return xsimd::tanh(v); }, [](real v) { return std::tanh(v); });
}

void vec_sigmoid(const real* x, real* y, std::size_t n) {
    const batch one(real(1));
    apply(
        x, y, n, [&](batch v) { return one / (one + xsimd::exp(-v)); },
        [](real v) { return real(1) / (real(1) + std::exp(-v)); });
}

void vec_softplus(const real* x, real* y, std::size_t n, real sign) {
    const batch zero(real(0)), s(sign);
    apply(
        x, y, n,
        [&](batch v) {
            const batch u = s * v;
            return s * (xsimd::max(u, zero) + xsimd::log1p(xsimd::exp(-xsimd::abs(u))));
        },
        [sign](real v) {
            const real u = sign * v;
            return sign * (std::max(u, real(0)) + std::log1p(std::exp(-std::abs(u))));
        });
}

void vec_logaddexp(const real* run, const real* x, real* y, std::size_t n) {
    constexpr real neg_inf = -std::numeric_limits<real>::infinity();
    constexpr std::size_t W = batch::size;
    const batch ninf(neg_inf);
    auto scalar = [](real r, real v) {
        if (v == neg_inf) return r;
        if (r == neg_inf) return v;
        return std::max(r, v) + std::log1p(std::exp(-std::abs(r - v)));
    };
    std::size_t i = 0;
    for (; i + W <= n; i += W) {
        const batch r = batch::load_unaligned(run + i), v = batch::load_unaligned(x + i);
        const batch both = xsimd::max(r, v) + xsimd::log1p(xsimd::exp(-xsimd::abs(r - v)));
        // a -inf operand adds nothing: take the other (r - v would be nan if both were)
        xsimd::select(v == ninf, r, xsimd::select(r == ninf, v, both)).store_unaligned(y + i);
    }
    for (; i < n; ++i) y[i] = scalar(run[i], x[i]);
}

namespace {
constexpr double kSqrtHalf = 0.70710678118654752440, kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kGeluA = 0.044715, kGeluC = 0.79788456080286535588;  // sqrt(2 / pi)
}  // namespace

void vec_gelu(const real* x, real* y, std::size_t n, bool tanh_form) {
    const batch half = batch(real(0.5)), one = batch(real(1)), r2 = batch(real(kSqrtHalf)), a = batch(real(kGeluA)), c = batch(real(kGeluC));
    if (tanh_form)
        apply(x, y, n, [&](batch v) { return half * v * (one + xsimd::tanh(c * (v + a * v * v * v))); },
              [](real v) { return real(0.5) * v * (1 + std::tanh(real(kGeluC) * (v + real(kGeluA) * v * v * v))); });
    else
        apply(x, y, n, [&](batch v) { return half * v * (one + xsimd::erf(v * r2)); },
              [](real v) { return real(0.5) * v * (1 + std::erf(v * real(kSqrtHalf))); });
}

void vec_gelu_slope(const real* x, real* y, std::size_t n, bool tanh_form) {
    const batch half = batch(real(0.5)), one = batch(real(1)), three = batch(real(3)), r2 = batch(real(kSqrtHalf)), a = batch(real(kGeluA)),
        c = batch(real(kGeluC)), k = batch(real(kInvSqrt2Pi));
    if (tanh_form)
        apply(x, y, n,
              [&](batch v) {
                  const batch t = xsimd::tanh(c * (v + a * v * v * v));
                  return half * (one + t) + half * v * (one - t * t) * c * (one + three * a * v * v);
              },
              [](real v) {
                  const real t = std::tanh(real(kGeluC) * (v + real(kGeluA) * v * v * v));
                  return real(0.5) * (1 + t) + real(0.5) * v * (1 - t * t) * real(kGeluC) * (1 + 3 * real(kGeluA) * v * v);
              });
    else
        apply(x, y, n, [&](batch v) { return half * (one + xsimd::erf(v * r2)) + v * k * xsimd::exp(-half * v * v); },
              [](real v) {
                  return real(0.5) * (1 + std::erf(v * real(kSqrtHalf))) + v * real(kInvSqrt2Pi) * std::exp(real(-0.5) * v * v);
              });
}

void vec_exp_ratio(const real* a, const real* b, real* y, std::size_t n) {
    constexpr real neg_inf = -std::numeric_limits<real>::infinity();
    constexpr std::size_t W = batch::size;
    const batch ninf(neg_inf), zero(real(0));
    std::size_t i = 0;
    for (; i + W <= n; i += W) {
        const batch av = batch::load_unaligned(a + i), bv = batch::load_unaligned(b + i);
        xsimd::select(av == ninf, zero, xsimd::exp(av - bv)).store_unaligned(y + i);
    }
    for (; i < n; ++i) y[i] = a[i] == neg_inf ? real(0) : std::exp(a[i] - b[i]);
}

namespace {
constexpr std::size_t kPartials = 8;

real vec_max(const real* __restrict x, std::size_t n) {
    real acc[kPartials];
    for (std::size_t l = 0; l < kPartials; ++l) acc[l] = x[0];
    std::size_t i = 0;
    for (; i + kPartials <= n; i += kPartials)
        for (std::size_t l = 0; l < kPartials; ++l) acc[l] = std::max(acc[l], x[i + l]);
    real m = acc[0];
    for (std::size_t l = 1; l < kPartials; ++l) m = std::max(m, acc[l]);
    for (; i < n; ++i) m = std::max(m, x[i]);
    return m;
}

real vec_sum(const real* __restrict x, std::size_t n) {
    real acc[kPartials] = {};
    std::size_t i = 0;
    for (; i + kPartials <= n; i += kPartials)
        for (std::size_t l = 0; l < kPartials; ++l) acc[l] += x[i + l];
    real t = 0;
    for (; i < n; ++i) t += x[i];
    for (std::size_t l = 0; l < kPartials; ++l) t += acc[l];
    return t;
}
}  // namespace

ExpRow vec_exp_row(const real* x, real* y, std::size_t n) {
    if (n == 0) return {-std::numeric_limits<real>::infinity(), real(0)};
    const real m = vec_max(x, n);
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] - m;
    vec_exp(y, y, n);
    return {m, vec_sum(y, n)};
}

void masked_softmax_row(const real* x, const real* mask, real* y, std::size_t n) {
    real m = -std::numeric_limits<real>::infinity();
    bool any = false;
    for (std::size_t i = 0; i < n; ++i)
        if (mask[i] != 0) {
            m = any ? std::max(m, x[i]) : x[i];
            any = true;
        }
    if (!any) return std::fill(y, y + n, real(0));
    for (std::size_t i = 0; i < n; ++i) y[i] = mask[i] != 0 ? x[i] - m : real(0);
    vec_exp(y, y, n);
    real sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (mask[i] == 0) y[i] = 0;  // exactly: left out of the sum and the result
        sum += y[i];
    }
    const real inv = real(1) / sum;
    for (std::size_t i = 0; i < n; ++i) y[i] *= inv;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
