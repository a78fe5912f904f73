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
        MultiheadAttentionOutput a = self_attn(x, x, x, padding, mask, false);
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

// The three residual blocks, in either norm order; the self-attention part
// is the full sequence's (forward) or one cached step's (forward_step).
Tensor TransformerDecoderLayer::blocks(const Tensor& x, const std::function<Tensor(const Tensor&)>& self_part,
                                       const KeyValue& memory, const Tensor& memory_padding) {
    auto cross_part = [&](const Tensor& y) {
        MultiheadAttentionOutput a = multihead_attn.attend(y, memory, memory_padding, Tensor(), false);
        last_attention = a.weights.detach();
        return drop(a.output);
    };
    Tensor y = x;
    if (options.norm_first) {
        y = y + self_part(norm1(y));
        y = y + cross_part(norm2(y));
        return y + feed_forward(norm3(y));
    }
    y = norm1(y + self_part(y));
    y = norm2(y + cross_part(y));
    return norm3(y + feed_forward(y));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                        const Tensor& tgt_padding, const Tensor& memory_padding) {
    return blocks(tgt, [&](const Tensor& y) { return drop(self_attn(y, y, y, tgt_padding, tgt_mask, false).output); },
                  multihead_attn.project_key_value(memory, memory), memory_padding);
}

Tensor TransformerDecoderLayer::forward_step(const Tensor& x, DecoderLayerCache& cache, const Tensor& memory_padding) {
    return blocks(x, [&](const Tensor& y) { return drop(self_attn.forward_step(y, cache.self, false).output); },
                  cache.memory, memory_padding);
}

DecoderLayerCache TransformerDecoderLayer::start(const Tensor& memory) const {
    return {KeyValue{}, multihead_attn.project_key_value(memory, memory)};
}

TransformerEncoder::TransformerEncoder(const TransformerLayerOptions& o, std::size_t n, bool final_norm, Generator& gen) {
    for (std::size_t i = 0; i < n; ++i) {
        layers.push_back(std::make_unique<TransformerEncoderLayer>(o, gen));
        register_module("layers." + std::to_string(i), *layers.back());
    }
    if (final_norm) {
        norm = std::make_unique<LayerNorm>(o.d_model, o.layer_norm_eps);
        register_module("norm", *norm);
    }
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& padding) {
    Tensor x = src;
    for (auto& layer : layers) x = (*layer)(x, mask, padding);
    return norm ? (*norm)(x) : x;
}

TransformerDecoder::TransformerDecoder(const TransformerLayerOptions& o, std::size_t n, bool final_norm, Generator& gen) {
    for (std::size_t i = 0; i < n; ++i) {
        layers.push_back(std::make_unique<TransformerDecoderLayer>(o, gen));
        register_module("layers." + std::to_string(i), *layers.back());
    }
    if (final_norm) {
        norm = std::make_unique<LayerNorm>(o.d_model, o.layer_norm_eps);
        register_module("norm", *norm);
    }
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& tgt_padding, const Tensor& memory_padding) {
    Tensor x = tgt;
    for (auto& layer : layers) x = (*layer)(x, memory, tgt_mask, tgt_padding, memory_padding);
    return norm ? (*norm)(x) : x;
}

std::vector<DecoderLayerCache> TransformerDecoder::start(const Tensor& memory) const {
    std::vector<DecoderLayerCache> caches;
    for (const auto& layer : layers) caches.push_back(layer->start(memory));
    return caches;
}

Tensor TransformerDecoder::forward_step(const Tensor& x, std::vector<DecoderLayerCache>& caches,
                                        const Tensor& memory_padding) {
    if (caches.size() != layers.size())
        fail<ValueError>("TransformerDecoder::forward_step: {} caches for {} layers (make them with start())",
                         caches.size(), layers.size());
    Tensor y = x;
    for (std::size_t i = 0; i < layers.size(); ++i) y = layers[i]->forward_step(y, caches[i], memory_padding);
    return norm ? (*norm)(y) : y;
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
