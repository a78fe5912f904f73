// SPDX-License-Identifier: MIT
#include "loss.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

Tensor sequence_cross_entropy(const Tensor& logits, const IndexArray& targets, Index pad_id, Reduction reduction) {
    if (logits.dim() != 3)
        fail("sequence_cross_entropy: logits of shape {} are not [time, batch, vocab]", shape_str(logits.shape()));
    return cross_entropy(logits, targets, pad_id, reduction);
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
