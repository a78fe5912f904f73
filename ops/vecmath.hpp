#pragma once
// Vectorised transcendental kernels over contiguous buffers (xsimd: SSE,
// AVX2 or AVX-512, whatever the build targets). The activations of every
// recurrent cell go through these; scalar libm calls were a quarter of a
// training step. In-place use (y == x) is allowed.

#include <cstddef>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

void vec_exp(const real* x, real* y, std::size_t n);
void vec_tanh(const real* x, real* y, std::size_t n);
void vec_sigmoid(const real* x, real* y, std::size_t n);  // 1 / (1 + exp(-x))

// The maximum (n >= 1) and the sum of x[0..n), with independent partial
// results: a serial chain waits on every step. The order is fixed, so the
// result depends on n alone.
real vec_max(const real* x, std::size_t n);
real vec_sum(const real* x, std::size_t n);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
