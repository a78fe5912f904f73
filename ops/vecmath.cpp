#include "vecmath.hpp"

#include <algorithm>
#include <cmath>
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

void vec_tanh(const real* x, real* y, std::size_t n) {
    apply(x, y, n, [](batch v) { return xsimd::tanh(v); }, [](real v) { return std::tanh(v); });
}

void vec_sigmoid(const real* x, real* y, std::size_t n) {
    const batch one(real(1));
    apply(
        x, y, n, [&](batch v) { return one / (one + xsimd::exp(-v)); },
        [](real v) { return real(1) / (real(1) + std::exp(-v)); });
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
    const real m = vec_max(x, n);
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] - m;
    vec_exp(y, y, n);
    return {m, vec_sum(y, n)};
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
