// SPDX-License-Identifier: MIT
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
void vec_log(const real* x, real* y, std::size_t n);
void vec_tanh(const real* x, real* y, std::size_t n);
void vec_sigmoid(const real* x, real* y, std::size_t n);  // 1 / (1 + exp(-x))
// sign * softplus(sign * x): softplus(x) = max(x, 0) + log1p(exp(-|x|)) for
// sign 1; -softplus(-x) = log sigmoid(x) for sign -1. Stable for any x.
void vec_softplus(const real* x, real* y, std::size_t n, real sign = 1);
// One step of a running log-sum-exp: y = log(exp(run) + exp(x)), stably,
// with -inf on either side allowed (log 0). y may be run.
void vec_logaddexp(const real* run, const real* x, real* y, std::size_t n);
// GELU, x Phi(x), and its slope Phi(x) + x phi(x) (erf form), or the tanh
// approximation and its slope (tanh_form).
void vec_gelu(const real* x, real* y, std::size_t n, bool tanh_form);
void vec_gelu_slope(const real* x, real* y, std::size_t n, bool tanh_form);
// exp(a - b) where a <= b, and 0 where a is -inf (even if b is too).
void vec_exp_ratio(const real* a, const real* b, real* y, std::size_t n);

// One softmax row before its normalisation: y = exp(x - max x) (n >= 1; y
// may be x). Returns that maximum and the sum of y, from which softmax
// (y / sum), log-softmax ((x - max) - log sum) and log-sum-exp follow. The
// maximum and sum use independent partial results (a serial chain waits on
// every step) in a fixed order, so the result depends on n alone.
struct ExpRow {
    real max, sum;
};
ExpRow vec_exp_row(const real* x, real* y, std::size_t n);

// A softmax row over the positions whose mask is nonzero: those get
// exp(x - max) / sum, the rest exactly 0, whatever their scores (a masked
// position is left out, not given a very negative score, which a large
// enough score would outweigh). A row with every position masked is all
// zeros. y may be x; n may be 0.
void masked_softmax_row(const real* x, const real* mask, real* y, std::size_t n);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
