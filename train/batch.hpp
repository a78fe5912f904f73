// SPDX-License-Identifier: MIT
#pragma once
// Batching sequences of different lengths: padded to the longest, with the
// lengths (for the recurrent layers) and a mask (for attention and losses).

#include <vector>

#include "../autograd/ids.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

struct PaddedBatch {
    Ids ids;                           // [T, B], time-major, padded with `pad`
    std::vector<std::size_t> lengths;  // B real lengths
    Tensor mask() const;               // [B, T]: 1 at real positions, 0 at padding
    std::size_t batch() const { return lengths.size(); }
    std::size_t time() const { return ids.shape()[0]; }
};

// Throws ValueError on an empty batch or an empty sequence.
PaddedBatch pad_batch(const std::vector<std::vector<Index>>& seqs, Index pad);

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
