// SPDX-License-Identifier: MIT
#include "multihead_attention.hpp"

#include <cmath>

#include "../ops/arithmetic.hpp"
#include "../ops/dropout.hpp"
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

MultiheadAttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                     const Tensor& key_padding_mask, const Tensor& attn_mask,
                                                     bool average_weights) {
    const std::size_t E = embed_dim, h = num_heads, d = E / h;
    if (query.dim() != 3 || query.shape()[2] != E || key.dim() != 3 || key.shape()[2] != E ||
        value.shape() != key.shape() || key.shape()[1] != query.shape()[1])
        fail<ShapeError>("MultiheadAttention: query {}, key {}, value {} are not [L, B, {}], [S, B, {}], [S, B, {}]",
                         shape_str(query.shape()), shape_str(key.shape()), shape_str(value.shape()), E, E, E);
    const std::size_t L = query.shape()[0], S = key.shape()[0], B = query.shape()[1];
    if (key_padding_mask.defined() && key_padding_mask.shape() != make_shape({B, S}))
        fail<ShapeError>("MultiheadAttention: key_padding_mask {} is not [{}, {}] (batch, source)",
                         shape_str(key_padding_mask.shape()), B, S);
    if (attn_mask.defined() && attn_mask.shape() != make_shape({L, S}))
        fail<ShapeError>("MultiheadAttention: attn_mask {} is not [{}, {}] (target, source)", shape_str(attn_mask.shape()),
                         L, S);
    // the three projections: rows [0, E), [E, 2E), [2E, 3E) of the stacked weight
    auto project = [&](const Tensor& x, std::size_t part) {
        const Tensor w = slice(in_proj_weight, 0, part * E, (part + 1) * E);
        return in_proj_bias.defined() ? linear(x, w, slice(in_proj_bias, 0, part * E, (part + 1) * E)) : linear(x, w);
    };
    // [T, B, E] -> [B*h, T, d]: head i of batch entry b is row b*h + i
    auto heads = [&](const Tensor& x, std::size_t T) { return transpose(reshape(x, T, B * h, d), 0, 1); };
    const Tensor q = heads(project(query, 0), L), k = heads(project(key, 1), S), v = heads(project(value, 2), S);
    const Tensor scores = matmul(q, transpose(k, 1, 2)) * (real(1) / std::sqrt(real(d)));  // [B*h, L, S]
    Tensor alpha;
    if (key_padding_mask.defined() || attn_mask.defined()) {
        Array keep = xt::ones<real>({B * h, L, S});  // 1 where attention is allowed
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t l = 0; l < L; ++l)
                    for (std::size_t s = 0; s < S; ++s)
                        if ((key_padding_mask.defined() && key_padding_mask.value()(b, s) != 0) ||
                            (attn_mask.defined() && attn_mask.value()(l, s) != 0))
                            keep(b * h + i, l, s) = 0;
        alpha = masked_softmax(scores, Tensor(std::move(keep)));
    } else {
        alpha = softmax(scores, -1);
    }
    const Tensor attended = dropout > 0 ? tapegrad::dropout(alpha, dropout, is_training(), dropout_gen_) : alpha;
    const Tensor context = reshape(transpose(matmul(attended, v), 0, 1), L, B, E);  // heads side by side
    Tensor weights = reshape(alpha, B, h, L, S);
    if (average_weights) weights = mean(weights, 1);
    return {out_proj(context), weights};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
