// SPDX-License-Identifier: MIT
#pragma once
// Ops that move values without computing new ones: their gradients move the
// gradient back the same way.

#include <vector>

#include <type_traits>

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor permute(const Tensor& x, const std::vector<std::size_t>& perm);
Tensor transpose(const Tensor& x, std::ptrdiff_t axis0 = -2, std::ptrdiff_t axis1 = -1);
// One dimension may be -1: inferred from the element count.
Tensor reshape(const Tensor& x, const std::vector<std::ptrdiff_t>& shape);
// reshape(x, T, B, -1): the sizes as arguments, of any integer type (size_t
// included, with no narrowing to spell out); -1, once, is inferred.
template <class... D, class = std::enable_if_t<(sizeof...(D) > 0 && (std::is_integral_v<D> && ...))>>
Tensor reshape(const Tensor& x, D... dims) {
    return reshape(x, std::vector<std::ptrdiff_t>{static_cast<std::ptrdiff_t>(dims)...});
}
// Elements [start, end) along axis.
Tensor slice(const Tensor& x, std::ptrdiff_t axis, std::size_t start, std::size_t end);
// Joins along an existing axis.
Tensor concat(const std::vector<Tensor>& xs, std::ptrdiff_t axis);
// Joins along a new axis inserted at `axis`.
Tensor stack(const std::vector<Tensor>& xs, std::ptrdiff_t axis = 0);
// Pieces of the given sizes along axis (they must add up to its length).
std::vector<Tensor> split(const Tensor& x, const std::vector<std::size_t>& sizes, std::ptrdiff_t axis);
// n equal pieces along axis, e.g. the four LSTM gates: chunk(gates, 4, 1).
std::vector<Tensor> chunk(const Tensor& x, std::size_t n, std::ptrdiff_t axis);
// The i-th entry along axis 0 with that axis removed: x[i].
Tensor select(const Tensor& x, std::size_t i);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
