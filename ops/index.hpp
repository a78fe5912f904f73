// SPDX-License-Identifier: MIT
#pragma once
// Selecting by integer ids and by masks.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Rows of a [V, ...] table picked by ids of any shape: the result has shape
// ids.shape + table.shape[1:]. This is the embedding lookup; its gradient
// scatter-adds into the picked rows (a repeated id gets every contribution).
// Lookups of `padding_idx` (if >= 0) send no gradient to that row.
Tensor index_select(const Tensor& table, const IndexArray& ids, Index padding_idx = -1);
inline Tensor embedding(const Tensor& table, const IndexArray& ids, Index padding_idx = -1) {
    return index_select(table, ids, padding_idx);
}

// mask ? a : b, elementwise with broadcasting; mask is a constant whose
// nonzero entries select a.
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b);
// x with `value` where mask != 0 (PyTorch's masked_fill): where(mask, value, x),
// so the filled positions get no gradient.
Tensor masked_fill(const Tensor& x, const Tensor& mask, real value);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
