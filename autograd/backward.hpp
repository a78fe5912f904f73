#pragma once
// The reverse walk. Tensor::backward() calls this.

#include <functional>

#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Seeds root.grad with `seed` and runs every reachable node's backward in
// reverse creation order. Without retain_graph each node's inputs and saved
// state are released right after its backward ran, so memory falls as the
// walk proceeds, and a second walk through the same nodes throws GraphError.
void run_backward(const ImplPtr& root, const Array& seed, bool retain_graph);

// Work an op asks to run once, after every node of the current walk has run
// (true) -- or to drop, if the walk fails (false). Lets an op batch many small
// gradient contributions into one large computation: linear() uses it to turn
// a recurrent layer's per-step weight-gradient GEMMs into one GEMM.
void at_walk_end(std::function<void(bool completed)> fn);

// Number of tape nodes reachable from t (including t if it is not a leaf).
std::size_t graph_size(const Tensor& t);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
