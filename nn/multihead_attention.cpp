// SPDX-License-Identifier: MIT
#include "multihead_attention.hpp"

#include <cmath>

#include "../ops/arithmetic.hpp"
#include "../ops/dropout.hpp"
#include "../ops/index.hpp"
#include "../ops/linear.hpp"
#include "../ops/matmul.hpp"
#include "../ops/reduce.hpp"
#include "../ops/shape.hpp"
#include "../ops/softmax.hpp"
#include "init.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

MultiheadAttention::MultiheadAttention(std::size_t E, std::size_t heads, real p, bool bias, Generator& gen)
    : embed_dim(E), num_heads(heads), dropout(p), out_proj(E, E, bias, gen), dropout_gen_(gen.next()) {
    if (heads == 0 || E % heads != 0)
        fail<ValueError>("MultiheadAttention: embed_dim {} is not divisible into {} heads", E, heads);
    in_proj_weight = Tensor::zeros(make_shape({3 * E, E}));
    init::xavier_uniform_(in_proj_weight, 1, gen);  // PyTorch's initialisation
    register_parameter("in_proj_weight", in_proj_weight);
    if (bias) {
        in_proj_bias = Tensor::zeros(make_shape({3 * E}));
        register_parameter("in_proj_bias", in_proj_bias);
        init::zeros_(out_proj.bias);
    }
    register_module("out_proj", out_proj);
    register_generator("dropout", dropout_gen_);
}

Tensor MultiheadAttention::causal_mask(std::size_t L) {
    Array m = xt::zeros<real>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = i + 1; j < L; ++j) m(i, j) = 1;
    return Tensor(std::move(m));
}

// rows [0, E), [E, 2E), [2E, 3E) of the stacked weight: q, k, v
Tensor MultiheadAttention::project(const Tensor& x, std::size_t part) const {
    const std::size_t E = embed_dim;
    const Tensor w = slice(in_proj_weight, 0, part * E, (part + 1) * E);
    return in_proj_bias.defined() ? linear(x, w, slice(in_proj_bias, 0, part * E, (part + 1) * E)) : linear(x, w);
}

Tensor MultiheadAttention::split_heads(const Tensor& x) const {
    const std::size_t T = x.shape()[0], B = x.shape()[1], h = num_heads;
    return transpose(reshape(x, T, B * h, embed_dim / h), 0, 1);
}

KeyValue MultiheadAttention::project_key_value(const Tensor& key, const Tensor& value) const {
    const std::size_t E = embed_dim;
    if (key.dim() != 3 || key.shape()[2] != E || value.shape() != key.shape())
        fail<ShapeError>("MultiheadAttention: key {} and value {} are not both [S, B, {}]", shape_str(key.shape()),
                         shape_str(value.shape()), E);
    return {split_heads(project(key, 1)), split_heads(project(value, 2))};
}

MultiheadAttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                     const Tensor& key_padding_mask, const Tensor& attn_mask,
                                                     bool average_weights) {
    return attend(query, project_key_value(key, value), key_padding_mask, attn_mask, average_weights);
}

MultiheadAttentionOutput MultiheadAttention::attend(const Tensor& query, const KeyValue& kv,
                                                    const Tensor& key_padding_mask, const Tensor& attn_mask,
                                                    bool average_weights) {
    const std::size_t E = embed_dim, h = num_heads, d = E / h;
    if (query.dim() != 3 || query.shape()[2] != E || !kv.k.defined() || kv.k.shape()[0] != query.shape()[1] * h)
        fail<ShapeError>("MultiheadAttention: query {} is not [L, B, {}] with the keys' batch ({} rows of {} heads)",
                         shape_str(query.shape()), E, kv.k.defined() ? kv.k.shape()[0] : 0, h);
    const std::size_t L = query.shape()[0], S = kv.length(), B = query.shape()[1];
    if (key_padding_mask.defined() && key_padding_mask.shape() != make_shape({B, S}))
        fail<ShapeError>("MultiheadAttention: key_padding_mask {} is not [{}, {}] (batch, source)",
                         shape_str(key_padding_mask.shape()), B, S);
    if (attn_mask.defined() && attn_mask.shape() != make_shape({L, S}))
        fail<ShapeError>("MultiheadAttention: attn_mask {} is not [{}, {}] (target, source)", shape_str(attn_mask.shape()),
                         L, S);
    const Tensor q = split_heads(project(query, 0));
    const Tensor scores = bmm(q, kv.k, false, true, real(1) / std::sqrt(real(d)));  // Q K^T / sqrt(d): [B*h, L, S]
    Tensor alpha;
    if (key_padding_mask.defined() || attn_mask.defined()) {
        Array keep = xt::ones<real>({B * h, L, S});  // 1 where attention is allowed
        const real* pad = key_padding_mask.defined() ? key_padding_mask.data() : nullptr;
        const real* causal = attn_mask.defined() ? attn_mask.data() : nullptr;
        real* out = keep.data();
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t l = 0; l < L; ++l, out += S)
                    for (std::size_t s = 0; s < S; ++s)
                        if ((pad && pad[b * S + s] != 0) || (causal && causal[l * S + s] != 0)) out[s] = 0;
        alpha = masked_softmax(scores, Tensor(std::move(keep)));
    } else {
        alpha = softmax(scores, -1);
    }
    const Tensor attended = dropout > 0 ? tapegrad::dropout(alpha, dropout, is_training(), dropout_gen_) : alpha;
    const Tensor context = reshape(transpose(matmul(attended, kv.v), 0, 1), L, B, E);  // heads side by side
    Tensor weights = reshape(alpha, B, h, L, S);
    if (average_weights) weights = mean(weights, 1);
    return {out_proj(context), weights};
}

MultiheadAttentionOutput MultiheadAttention::forward_step(const Tensor& x, KeyValue& cache, bool average_weights) {
    if (x.dim() != 3 || x.shape()[0] != 1)
        fail<ShapeError>("MultiheadAttention::forward_step: x {} is not one position [1, B, {}]", shape_str(x.shape()),
                         embed_dim);
    KeyValue next = project_key_value(x, x);
    cache = cache.k.defined() ? KeyValue{concat({cache.k, next.k}, 1), concat({cache.v, next.v}, 1)} : next;
    return attend(x, cache, Tensor(), Tensor(), average_weights);
}

KeyValue MultiheadAttention::select_batch(const KeyValue& kv, const std::vector<std::size_t>& rows) const {
    IndexArray ids = IndexArray::from_shape({rows.size() * num_heads});
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t i = 0; i < num_heads; ++i) ids(r * num_heads + i) = static_cast<Index>(rows[r] * num_heads + i);
    return {index_select(kv.k, ids), index_select(kv.v, ids)};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
