// SPDX-License-Identifier: MIT
#pragma once
// The walk back. Tensor::backward() calls run_backward.

#include <functional>

#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Seeds root.grad with `seed` and runs the backward function of every node
// reachable from root, newest first. Without retain_graph each node lets go
// of its inputs and backward function right after it ran, so memory falls
// as the walk proceeds, and a second walk through it throws GraphError.
void run_backward(const ImplPtr& root, const Array& seed, bool retain_graph);

// Work an op asks to run once, after every node of the current walk has run
// (true) -- or to drop, if the walk fails (false). The staged weight
// gradients (speed/staged_gemm.hpp) turn a recurrent layer's per-step
// weight-gradient GEMMs into one GEMM this way. Outside a walk fn runs now.
void at_walk_end(std::function<void(bool completed)> fn);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
