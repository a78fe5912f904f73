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

// Told, during a walk, that a leaf's gradient is final: every node of the
// walk that feeds it has run, so nothing more will be added to it. A
// data-parallel reducer (dist/) starts sending a group of gradients as
// soon as all of them are final, while the walk goes on with the rest.
// Set for the walks this thread starts while the guard lives; nested walks
// (a checkpointed segment's) do not report, and a leaf the walk does not
// reach is never reported. Without a guard the walk does no extra work.
class GradFinalGuard {
public:
    explicit GradFinalGuard(std::function<void(TensorImpl& leaf)> fn);
    ~GradFinalGuard();
    GradFinalGuard(const GradFinalGuard&) = delete;
    GradFinalGuard& operator=(const GradFinalGuard&) = delete;

private:
    std::function<void(TensorImpl&)>* previous_;
    std::function<void(TensorImpl&)> fn_;
};

// Work an op asks to run once, after every node of the current walk has run
// (true) -- or to drop, if the walk fails (false). The staged weight
// gradients (speed/staged_gemm.hpp) turn a recurrent layer's per-step
// weight-gradient GEMMs into one GEMM this way. Outside a walk fn runs now.
void at_walk_end(std::function<void(bool completed)> fn);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
