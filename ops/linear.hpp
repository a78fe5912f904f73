#pragma once
// The affine map of every layer, with PyTorch's weight layout [out, in]:
// y = x W^T + b. One GEMM with a transpose flag -- or, for a batch-sized x
// in a graph, against a transposed copy of a parameter W that the graph's
// products share (see transposed_weight in linear.cpp).

#include <memory>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// x: [..., in], W: [out, in], b: [out] or undefined  ->  [..., out].
// Leading axes are folded into one, so [T, B, in] is a single GEMM.
Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b = Tensor());

namespace detail {
// What linear does with its weight, also for matmul(x, W) with a 2-D W
// (ops/matmul.cpp): W^T, shared by the products of one graph, for a product
// of `rows` rows that is `recorded` on the tape and small enough to gain
// from it (else nullptr); and staging y's rows so that a leaf W's gradient
// X^T G is one GEMM at the walk's end (false if W does not qualify and the
// caller must do it).
std::shared_ptr<const Array> batch_transposed_weight(std::size_t rows, const Tensor& W, bool recorded);
bool stage_matmul_weight(TensorImpl& y, std::size_t rows, std::size_t in, std::size_t out);
}  // namespace detail

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
