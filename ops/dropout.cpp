// SPDX-License-Identifier: MIT
#include "dropout.hpp"

#include <algorithm>
#include <cmath>

#include "../autograd/record.hpp"
#include "../speed/parallel.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// The mask m_k in {0, 1/(1-p)}, drawn from a counter-based stream: SplitMix64
// of seed + group index gives 64 bits, four Bernoulli draws of 16 bits
// each, against (1-p) 2^16 (so p is kept to 1/65536). The mask depends on
// the seed alone, not on the threads, and backward draws it again instead of
// keeping it: no mask in memory. (std::bernoulli_distribution, one engine
// draw per element, made dropout a third of a Transformer's step.)
struct Mask {
    std::uint64_t seed;
    std::uint32_t threshold;
    real keep;
    static constexpr std::size_t kGroup = 4;
    // out[k] = in[k] m_k (beta 0) or out[k] += in[k] m_k (beta 1), for the
    // elements of groups [lo, hi)
    void apply(const real* in, real* out, real beta, std::size_t n, std::size_t lo, std::size_t hi) const {
        for (std::size_t j = lo; j < hi; ++j) {
            std::uint64_t r = seed + (j + 1) * 0x9e3779b97f4a7c15ull;  // SplitMix64's finaliser
            r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ull;
            r = (r ^ (r >> 27)) * 0x94d049bb133111ebull;
            r ^= r >> 31;
            const std::size_t end = std::min(n, (j + 1) * kGroup);
            for (std::size_t k = j * kGroup; k < end; ++k, r >>= 16) {
                const real v = (r & 0xffffu) < threshold ? in[k] * keep : real(0);
                out[k] = beta == 0 ? v : out[k] + v;  // (a new buffer is uninitialised: never read it)
            }
        }
    }
};
}  // namespace

// y = x * m / (1-p), m ~ Bernoulli(1-p)  =>  dx = dy * m / (1-p)
Tensor dropout(const Tensor& x, real p, bool training, Generator& gen) {
    if (!(p >= 0 && p < 1)) fail<ValueError>("dropout: probability {} is outside [0, 1)", p);
    if (!training || p == 0) return x;
    const Mask mask{gen.next(), static_cast<std::uint32_t>(std::lround((1.0 - double(p)) * 65536.0)),
                    real(1) / (real(1) - p)};
    Array y = Array::from_shape(x.shape());
    const std::size_t n = y.size(), groups = (n + Mask::kGroup - 1) / Mask::kGroup;
    const real* xv = x.data();
    parallel_for(groups, kElementGrain / Mask::kGroup, [&](std::size_t lo, std::size_t hi) {
        mask.apply(xv, y.data(), 0, n, lo, hi);
    });
    return record("dropout", std::move(y), {unread(x)}, [mask, n, groups](TensorImpl& y) {
        const GradBuffer dx = grad_into(*y.inputs[0]);
        parallel_for(groups, kElementGrain / Mask::kGroup, [&](std::size_t lo, std::size_t hi) {
            mask.apply(y.grad.data(), dx.data, dx.beta, n, lo, hi);
        });
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
