// SPDX-License-Identifier: MIT
#pragma once
// tapegrad's own threads, a speed layer (speed/layers.hpp). Recurrent training is a chain of GEMMs too small
// for the BLAS's threading to pay off (a step of a hidden-128 LSTM is a
// 32x128x512 product): OpenBLAS's thread hand-off costs more than it saves.
// So tapegrad keeps the BLAS on one thread and splits each large enough
// product into one slab per thread itself, over a pool of workers that spin
// briefly between jobs (the next GEMM is usually microseconds away) and then
// sleep.
//
// The thread count comes from set_num_threads(), else TAPEGRAD_NUM_THREADS,
// else OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, else the number of cores.

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Threads tapegrad computes with (the calling thread included), >= 1.
std::size_t num_threads();
// What the environment asks for (TAPEGRAD_NUM_THREADS, ...), else the cores.
std::size_t default_num_threads();
// Sets it (n >= 1; values above the core count are allowed) for the whole
// process. Safe at any time: jobs already running finish on the old pool.
void set_num_threads(std::size_t n);

namespace detail {
using PartFn = void (*)(void* ctx, std::size_t part);
void run_parts(std::size_t parts, PartFn fn, void* ctx);
}  // namespace detail

// Calls fn(part) for part = 0 .. parts-1 and returns when all are done. The
// calling thread and the pool's workers each take the next unclaimed part
// until none is left, so parts may outnumber the threads. When the pool is
// busy (another thread of the program is using it), the parts run one after
// another on the calling thread, so tapegrad stays safe to call from several
// threads at once.
template <class F>
void parallel_parts(std::size_t parts, F&& fn) {
    detail::run_parts(
        parts, [](void* ctx, std::size_t part) { (*static_cast<std::remove_reference_t<F>*>(ctx))(part); },
        const_cast<void*>(static_cast<const void*>(&fn)));
}

// Fewer elements than this per thread are not worth the hand-off to a second
// thread (a memory-bound pass over them takes a few microseconds).
constexpr std::size_t kElementGrain = 8192;
// How many rows of `row_width` elements make up that grain.
inline std::size_t rows_per_grain(std::size_t row_width) {
    return std::max<std::size_t>(1, (kElementGrain + row_width - 1) / std::max<std::size_t>(row_width, 1));
}

// Calls fn(lo, hi) on contiguous slabs covering [0, n), one per thread at
// most and each at least `grain` items long; below two grains, fn(0, n) runs
// on the calling thread. For memory-bound loops over a batch: a row of gates,
// an optimizer's pass over a parameter.
template <class F>
void parallel_for(std::size_t n, std::size_t grain, F&& fn) {
    if (n == 0) return;
    const std::size_t parts = std::min(num_threads(), n / std::max<std::size_t>(grain, 1));
    if (parts <= 1) return fn(std::size_t(0), n);
    const std::size_t slab = (n + parts - 1) / parts;
    parallel_parts(parts, [&](std::size_t p) {
        const std::size_t lo = p * slab, hi = std::min(n, lo + slab);
        if (lo < hi) fn(lo, hi);
    });
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
