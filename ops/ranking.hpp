// SPDX-License-Identifier: MIT
#pragma once
// Choosing ids from scores: the largest, the k largest, or a draw. For
// decoding and sampling; none is differentiable (an id has no gradient),
// and the values topk returns are plain tensors, off the tape.
//
//   Ids next = argmax(logits);                           // greedy decoding, [B, V] -> [B]
//   auto [p, ids] = topk(log_softmax(logits), 5);        // a beam's candidates, [B, 5] each
//   Ids drawn = multinomial(softmax(logits / temperature), 1, gen);   // sampling, [B, 1]

#include "../autograd/ids.hpp"
#include "../autograd/random.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// The position of the largest value along `axis` (the first, on ties); the
// axis is removed from the shape. NaN counts as the largest.
Ids argmax(const Tensor& x, std::ptrdiff_t axis = -1);

struct TopK {
    Tensor values;  // [..., k], largest first
    Ids indices;    // [..., k], positions along the axis
};
// The k largest values along `axis` and their positions (largest first; the
// earlier position first on ties). 1 <= k <= the axis's length.
TopK topk(const Tensor& x, std::size_t k, std::ptrdiff_t axis = -1);

// `samples` draws from each row of probabilities (the last axis; weights
// >= 0, not all 0, need not sum to 1), with replacement: [..., C] ->
// [..., samples]. Seeded by the generator: the same generator state, the
// same draws.
Ids multinomial(const Tensor& probabilities, std::size_t samples, Generator& gen = default_generator());

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
