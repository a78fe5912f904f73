// SPDX-License-Identifier: MIT
#include "transformer.hpp"

#include "../ops/arithmetic.hpp"
#include "../ops/dropout.hpp"
#include "../ops/unary.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

namespace {
Tensor activate(const Tensor& x, Activation a) { return a == Activation::GELU ? gelu(x) : relu(x); }
}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerLayerOptions& o, Generator& gen)
    : options(o), self_attn(o.d_model, o.nhead, o.dropout, true, gen), linear1(o.d_model, o.dim_feedforward, true, gen),
      linear2(o.dim_feedforward, o.d_model, true, gen), norm1(o.d_model, o.layer_norm_eps),
      norm2(o.d_model, o.layer_norm_eps), gen_(gen.next()) {
    register_module("self_attn", self_attn);
    register_module("linear1", linear1);
    register_module("linear2", linear2);
    register_module("norm1", norm1);
    register_module("norm2", norm2);
    register_generator("dropout", gen_);
}

Tensor TransformerEncoderLayer::drop(const Tensor& x) {
    return options.dropout > 0 ? dropout(x, options.dropout, is_training(), gen_) : x;
}
Tensor TransformerEncoderLayer::feed_forward(const Tensor& x) {
    return drop(linear2(drop(activate(linear1(x), options.activation))));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& mask, const Tensor& padding) {
    auto attend = [&](const Tensor& x) {
        MultiheadAttentionOutput a = self_attn(x, x, x, padding, mask);
        last_attention = a.weights.detach();
        return drop(a.output);
    };
    Tensor x = src;
    if (options.norm_first) {
        x = x + attend(norm1(x));
        return x + feed_forward(norm2(x));
    }
    x = norm1(x + attend(x));
    return norm2(x + feed_forward(x));
}

TransformerDecoderLayer::TransformerDecoderLayer(const TransformerLayerOptions& o, Generator& gen)
    : options(o), self_attn(o.d_model, o.nhead, o.dropout, true, gen), multihead_attn(o.d_model, o.nhead, o.dropout, true, gen),
      linear1(o.d_model, o.dim_feedforward, true, gen), linear2(o.dim_feedforward, o.d_model, true, gen),
      norm1(o.d_model, o.layer_norm_eps), norm2(o.d_model, o.layer_norm_eps), norm3(o.d_model, o.layer_norm_eps),
      gen_(gen.next()) {
    register_module("self_attn", self_attn);
    register_module("multihead_attn", multihead_attn);
    register_module("linear1", linear1);
    register_module("linear2", linear2);
    register_module("norm1", norm1);
    register_module("norm2", norm2);
    register_module("norm3", norm3);
    register_generator("dropout", gen_);
}

Tensor TransformerDecoderLayer::drop(const Tensor& x) {
    return options.dropout > 0 ? dropout(x, options.dropout, is_training(), gen_) : x;
}
Tensor TransformerDecoderLayer::feed_forward(const Tensor& x) {
    return drop(linear2(drop(activate(linear1(x), options.activation))));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                        const Tensor& tgt_padding, const Tensor& memory_padding) {
    auto self_part = [&](const Tensor& x) { return drop(self_attn(x, x, x, tgt_padding, tgt_mask).output); };
    auto cross_part = [&](const Tensor& x) {
        MultiheadAttentionOutput a = multihead_attn(x, memory, memory, memory_padding);
        last_attention = a.weights.detach();
        return drop(a.output);
    };
    Tensor x = tgt;
    if (options.norm_first) {
        x = x + self_part(norm1(x));
        x = x + cross_part(norm2(x));
        return x + feed_forward(norm3(x));
    }
    x = norm1(x + self_part(x));
    x = norm2(x + cross_part(x));
    return norm3(x + feed_forward(x));
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
