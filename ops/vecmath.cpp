#include "vecmath.hpp"

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

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
