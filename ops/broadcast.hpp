// SPDX-License-Identifier: MIT
#pragma once
// NumPy broadcasting, and the one helper every binary op uses to send a
// broadcast gradient back to its input's shape.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// The broadcast result shape, or a ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// Sums g over the axes that broadcasting expanded, so the result has `shape`.
// If y = f(x broadcast to y's shape), then dL/dx = sum_to(dL/dy, x.shape).
Array sum_to(Array g, const Shape& shape);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
