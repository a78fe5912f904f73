// SPDX-License-Identifier: MIT
#pragma once
// Staged weight gradients, a speed layer. A recurrent layer multiplies by
// the same weight every step, so its gradient dW = sum_t G_t^T X_t would be
// T small GEMMs (K = batch), each reading and writing all of dW. Instead the
// rows of G_t and X_t are staged as the walk passes the steps, and dW (and
// the bias's db) are computed once, as one GEMM with K = T * batch, when the
// walk ends (at_walk_end in autograd/backward.hpp). Same sums, another order.
//
// Off by default: since the gate sums are fused (speed/fusion.hpp) the
// staging pass is one more copy of G and X per step, and on the benchmark
// machine the char-LMs and seq2seq ran 3-7% faster, in a quarter less
// memory, without it (docs/tape.md, "Speed layers"). TAPEGRAD_STAGED_GEMM=1
// or set_enabled(true) turns it on, for a BLAS or machine where many small
// GEMMs cost more than one large one.

#include "layers.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace staged {

inline constexpr bool kOnByDefault = false;
void set_enabled(bool on);
bool enabled();

// Stages the rows g [rows, out] of dL/dy and x [rows, in] of the input for
// dW += G^T X (W [out, in], linear) or dW += X^T G (in_out: W [in, out],
// matmul's x W), and db += the column sums of G (b may be null), at the end
// of this walk. False, with nothing staged, when the layer is off or W does
// not qualify (not a leaf, or too many rows to gain): the caller then
// computes dW itself.
bool stage(const real* g, const real* x, const ImplPtr& W, const ImplPtr& b, std::size_t rows, std::size_t in,
           std::size_t out, bool in_out);

}  // namespace staged
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
