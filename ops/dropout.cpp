// SPDX-License-Identifier: MIT
#include "dropout.hpp"

#include <algorithm>
#include <cmath>

#include "../autograd/record.hpp"
#include "../speed/parallel.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// The mask m_k in {0, 1/(1-p)}, drawn from a counter-based stream: the
// elements in fixed blocks of kBlock, each block its own xoshiro256+ stream
// seeded by SplitMix64 of (seed, block), each 64-bit draw four Bernoulli
// draws of 16 bits against (1-p) 2^16 (so p is kept to 1/65536). The mask
// depends on the seed alone, not on the threads, and backward draws it again
// instead of keeping it: no mask in memory. (std::bernoulli_distribution,
// one engine draw per element, made dropout a third of a Transformer's step.)
struct Mask {
    std::uint64_t seed;
    std::uint32_t threshold;
    real keep;
    static constexpr std::size_t kBlock = 4096;
    // out[k] = in[k] m_k (beta 0) or out[k] += in[k] m_k (beta 1), for the
    // elements of blocks [lo, hi)
    void apply(const real* in, real* out, real beta, std::size_t n, std::size_t lo, std::size_t hi) const {
        std::uint16_t u[kBlock];  // the block's draws, then a plain loop the compiler vectorises
        for (std::size_t blk = lo; blk < hi; ++blk) {
            std::uint64_t s0 = splitmix64(seed ^ (blk * 4 + 0)), s1 = splitmix64(seed ^ (blk * 4 + 1) << 20),
                          s2 = splitmix64(seed + blk * 0x632be59bd9b4e019ull), s3 = splitmix64(~seed + blk) | 1;
            for (std::size_t k = 0; k < kBlock; k += 4) {
                const std::uint64_t r = s0 + s3;  // xoshiro256+
                const std::uint64_t t = s1 << 17;
                s2 ^= s0, s3 ^= s1, s1 ^= s2, s0 ^= s3, s2 ^= t;
                s3 = (s3 << 45) | (s3 >> 19);
                for (std::size_t j = 0; j < 4; ++j) u[k + j] = static_cast<std::uint16_t>(r >> (16 * j));
            }
            const std::size_t begin = blk * kBlock, len = std::min(n, begin + kBlock) - begin;
            const real* x = in + begin;
            real* y = out + begin;
            const std::uint32_t thr = threshold;
            const real kp = keep;
            // keep = the sign bit of u - thr, as arithmetic: a branch on random
            // bits mispredicts one time in ten or more, and blocks vectorising
            if (beta == 0)  // (a new buffer is uninitialised: never read it)
                for (std::size_t j = 0; j < len; ++j) y[j] = x[j] * (real((std::uint32_t(u[j]) - thr) >> 31) * kp);
            else
                for (std::size_t j = 0; j < len; ++j) y[j] += x[j] * (real((std::uint32_t(u[j]) - thr) >> 31) * kp);
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
    const std::size_t n = y.size(), blocks = (n + Mask::kBlock - 1) / Mask::kBlock;
    const real* xv = x.data();
    parallel_for(blocks, 1, [&](std::size_t lo, std::size_t hi) { mask.apply(xv, y.data(), 0, n, lo, hi); });
    return record("dropout", std::move(y), {unread(x)}, [mask, n, blocks](TensorImpl& y) {
        const GradBuffer dx = grad_into(*y.inputs[0]);
        parallel_for(blocks, 1, [&](std::size_t lo, std::size_t hi) {
            mask.apply(y.grad.data(), dx.data, dx.beta, n, lo, hi);
        });
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
