// SPDX-License-Identifier: MIT
#pragma once
// The transposed-weight cache, a speed layer. The product of a batch-sized
// x (a recurrent or a decoder step) with a weight W [out, in] runs faster
// against W^T laid out [in, out] than against W with a transpose flag, and
// such a weight meets every step between two optimizer steps: linear and
// matmul multiply by a transposed copy made once and shared by the graph's
// nodes, which hold it. A write to any leaf through mutable_value() retires
// every copy made before it.
//
// On by default; set_enabled(false), or TAPEGRAD_TRANSPOSED_WEIGHT=0 (or
// TAPEGRAD_SPEED=0), multiplies by W with a transpose flag every time.

#include <memory>

#include "layers.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace transposed_weight {

void set_enabled(bool on);
bool enabled();

// W^T for a product of `rows` rows by the leaf weight W that is `recorded`
// on the tape, when that gains (small products, the layer on); else nullptr.
std::shared_ptr<const Array> of(const Tensor& W, std::size_t rows, bool recorded);

// The core's before_write hook: a leaf is about to be written.
void before_write(TensorImpl& leaf);

}  // namespace transposed_weight
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
