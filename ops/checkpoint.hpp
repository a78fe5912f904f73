// SPDX-License-Identifier: MIT
#pragma once
// Gradient checkpointing: a segment of the program whose inner values are
// not kept for backward, but computed again when backward reaches it
// (Chen et al. 2016; PyTorch's torch.utils.checkpoint).
//
//   std::vector<Tensor> out = checkpoint(
//       [cell](const std::vector<Tensor>& in) { return std::vector<Tensor>{cell.step(in[0], {in[1]})[0]}; },
//       {x, h}, "step 7");
//
// Forward runs fn once and keeps only its inputs and outputs; its inner
// graph is let go as soon as fn returns. When backward reaches the
// segment, fn runs again from the same inputs -- and from the same state of
// the default generator and of `generators`, so dropout masks come out the
// same -- and the recomputed graph is walked back with the gradients that
// arrived at the outputs. Memory: a segment's inner values exist only while
// it runs; cost: one more forward of it.
//
// fn is called again during backward, after the code that called
// checkpoint() has moved on: capture by value what it needs. It may read
// tensors that require grad only through `inputs` or as leaves (parameters,
// which get their gradients as usual); a tensor computed outside the
// segment and read inside it otherwise is refused, naming the segment.
// Segments nest.

#include <functional>
#include <string>
#include <vector>

#include "../autograd/random.hpp"
#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

using SegmentFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& inputs)>;

std::vector<Tensor> checkpoint(const SegmentFn& fn, const std::vector<Tensor>& inputs,
                               const std::string& name = "checkpoint", const std::vector<Generator*>& generators = {});

// A loss summed over a long sequence in segments of k steps, each a
// checkpoint(): fn(t0, t1, state) returns {the loss of steps [t0, t1), the
// state after them}; the result is {the summed loss, the final state}.
// Only the states between segments (and the scalar
// losses) are kept, so the memory of the whole step -- embeddings, gates,
// outputs, the loss's probabilities -- is that of one segment, plus a state
// every k steps. Truncated BPTT with no truncation: the gradient flows
// through all T steps.
using SegmentLoss =
    std::function<std::vector<Tensor>(std::size_t t0, std::size_t t1, const std::vector<Tensor>& state)>;
std::vector<Tensor> checkpointed_loss(std::size_t T, std::size_t k, const std::vector<Tensor>& initial,
                                      const SegmentLoss& fn, const std::vector<Generator*>& generators = {});

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
