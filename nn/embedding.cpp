// SPDX-License-Identifier: MIT
#include "embedding.hpp"

#include "../ops/index.hpp"
#include "init.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

Embedding::Embedding(std::size_t num_embeddings, std::size_t dim, Index pad, Generator& gen) : padding_idx(pad) {
    if (num_embeddings == 0 || dim == 0)
        fail<ValueError>("Embedding: sizes must be positive, got num_embeddings={} dim={}", num_embeddings, dim);
    if (pad >= static_cast<Index>(num_embeddings))
        fail<ValueError>("Embedding: padding_idx {} is out of range for {} embeddings", pad, num_embeddings);
    weight = Tensor::zeros(make_shape({num_embeddings, dim}));
    init::normal_(weight, 0, 1, gen);
    if (pad >= 0)
        for (std::size_t j = 0; j < dim; ++j) weight.mutable_value()(static_cast<std::size_t>(pad), j) = 0;
    register_parameter("weight", weight);
}

Tensor Embedding::forward(const IndexArray& ids) const { return embedding(weight, ids, padding_idx); }

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
