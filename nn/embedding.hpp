// SPDX-License-Identifier: MIT
#pragma once
// A lookup table of vectors, one row per token id. With a padding index,
// that row starts at zero and receives no gradient. To tie an output layer's
// weight to the table: `out.weight = emb.weight;` (both are [vocab, dim]).

#include "module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

class Embedding : public Module {
public:
    Embedding(std::size_t num_embeddings, std::size_t dim, Index padding_idx = -1,
              Generator& gen = default_generator());
    Tensor forward(const IndexArray& ids) const;  // ids [...] -> [..., dim]
    Tensor operator()(const IndexArray& ids) const { return forward(ids); }

    Tensor weight;  // [num_embeddings, dim], N(0, 1) like PyTorch
    Index padding_idx;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
