// SPDX-License-Identifier: MIT
#include "dropout.hpp"

#include <algorithm>

#include "../autograd/record.hpp"
#include "../speed/parallel.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// y = x * m / (1-p), m ~ Bernoulli(1-p)  =>  dx = dy * m / (1-p)
Tensor dropout(const Tensor& x, real p, bool training, Generator& gen) {
    if (!(p >= 0 && p < 1)) fail<ValueError>("dropout: probability {} is outside [0, 1)", p);
    if (!training || p == 0) return x;
    Array mask = Array::from_shape(x.shape());
    const real keep = real(1) / (real(1) - p);
    // One draw from `gen` seeds a counter-based stream (SplitMix64 of seed +
    // pair index), two Bernoulli draws per 64-bit number, each half against
    // (1-p) 2^32. The mask depends on the seed alone, not on the threads;
    // std::bernoulli_distribution over the engine, one draw per element, made
    // dropout a third of a Transformer's step.
    const std::uint64_t seed = gen.next();
    const std::uint64_t threshold = static_cast<std::uint64_t>((1.0 - double(p)) * 4294967296.0);
    Array y = Array::from_shape(x.shape());
    real* m = mask.data();
    real* yv = y.data();
    const real* xv = x.data();
    const std::size_t n = mask.size(), pairs = (n + 1) / 2;
    parallel_for(pairs, kElementGrain / 2, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t j = lo; j < hi; ++j) {
            std::uint64_t r = seed + (j + 1) * 0x9e3779b97f4a7c15ull;  // SplitMix64's finaliser
            r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ull;
            r = (r ^ (r >> 27)) * 0x94d049bb133111ebull;
            r ^= r >> 31;
            m[2 * j] = (r & 0xffffffffu) < threshold ? keep : real(0);
            if (2 * j + 1 < n) m[2 * j + 1] = (r >> 32) < threshold ? keep : real(0);
        }
        for (std::size_t k = 2 * lo; k < std::min(n, 2 * hi); ++k) yv[k] = xv[k] * m[k];
    });
    return record("dropout", std::move(y), {unread(x)},
                  [mask = std::move(mask)](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * mask); }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
