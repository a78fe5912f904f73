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

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
