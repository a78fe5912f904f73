#pragma once
// The affine map of every layer, with PyTorch's weight layout [out, in]:
// y = x W^T + b. One GEMM with a transpose flag, no transposed copy.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// x: [..., in], W: [out, in], b: [out] or undefined  ->  [..., out].
// Leading axes are folded into one, so [T, B, in] is a single GEMM.
Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b = Tensor());

// a + linear(x, W, b) in one op: the GEMM accumulates onto a copy of `a`
// (shape [..., out]) instead of a separate add making another pass and
// another node. A recurrent step's pre-activation, W_ih x_t + W_hh h + b,
// is linear_add(projected x_t, h, W_hh, b_hh).
Tensor linear_add(const Tensor& a, const Tensor& x, const Tensor& W, const Tensor& b = Tensor());

// linear_add(select(a, t), x, W, b), reading the addend where it lies in a
// [T, ...] tensor: no copy of the slice, no select node, and its gradient
// goes straight into a's. What the sequence layers call, with the inputs of
// all steps projected at once.
Tensor linear_add(const Tensor& a, std::size_t t, const Tensor& x, const Tensor& W, const Tensor& b = Tensor());

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
