// SPDX-License-Identifier: MIT
#pragma once
// Transformer layers (Vaswani et al. 2017) as PyTorch's
// nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (batch_first=False),
// forward code over MultiheadAttention, Linear and LayerNorm:
//   post-norm (PyTorch's default):  x = norm1(x + SA(x));  x = norm2(x + FF(x))
//   pre-norm (norm_first):          x = x + SA(norm1(x));  x = x + FF(norm2(x))
//   FF(x) = linear2(dropout(activation(linear1(x))))
// The decoder layer adds cross-attention over the encoder's memory between
// the two (norm2), its feed-forward under norm3. Masks as MultiheadAttention
// takes them: nonzero = not allowed. Parameter names are PyTorch's.

#include <functional>
#include <memory>
#include <vector>

#include "layer_norm.hpp"
#include "linear.hpp"
#include "multihead_attention.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

enum class Activation { ReLU, GELU };

struct TransformerLayerOptions {
    std::size_t d_model = 512, nhead = 8, dim_feedforward = 2048;
    real dropout = real(0.1);
    Activation activation = Activation::ReLU;
    bool norm_first = false;
    real layer_norm_eps = real(1e-5);
};

class TransformerEncoderLayer : public Module {
public:
    explicit TransformerEncoderLayer(const TransformerLayerOptions& o, Generator& gen = default_generator());
    // src [S, B, E]
    Tensor forward(const Tensor& src, const Tensor& src_mask = Tensor(), const Tensor& src_key_padding_mask = Tensor());
    Tensor operator()(const Tensor& src, const Tensor& src_mask = Tensor(), const Tensor& src_key_padding_mask = Tensor()) {
        return forward(src, src_mask, src_key_padding_mask);
    }

    TransformerLayerOptions options;
    MultiheadAttention self_attn;
    Linear linear1, linear2;
    LayerNorm norm1, norm2;
    Tensor last_attention;  // the self-attention weights of the last forward per head, [B, heads, S, S] (for pictures)

private:
    Tensor feed_forward(const Tensor& x);
    Tensor drop(const Tensor& x);
    Generator gen_;
};

// What an incremental decoder keeps per layer: its self-attention's keys and
// values of the positions so far, and the projected memory for cross-attention.
struct DecoderLayerCache {
    KeyValue self, memory;
};

class TransformerDecoderLayer : public Module {
public:
    explicit TransformerDecoderLayer(const TransformerLayerOptions& o, Generator& gen = default_generator());
    // tgt [T, B, E], memory [S, B, E]
    Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                   const Tensor& tgt_key_padding_mask = Tensor(), const Tensor& memory_key_padding_mask = Tensor());
    Tensor operator()(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                      const Tensor& tgt_key_padding_mask = Tensor(), const Tensor& memory_key_padding_mask = Tensor()) {
        return forward(tgt, memory, tgt_mask, tgt_key_padding_mask, memory_key_padding_mask);
    }

    // The layer at the next position only: x [1, B, E] attends to the cached
    // earlier positions (causally, by construction) and to the memory in
    // cache.memory (made by start()). Gives forward()'s last row, and costs
    // one position's work instead of the whole prefix's.
    Tensor forward_step(const Tensor& x, DecoderLayerCache& cache, const Tensor& memory_key_padding_mask = Tensor());
    DecoderLayerCache start(const Tensor& memory) const;

    TransformerLayerOptions options;
    MultiheadAttention self_attn, multihead_attn;
    Linear linear1, linear2;
    LayerNorm norm1, norm2, norm3;
    Tensor last_attention;  // the cross-attention weights of the last forward per head, [B, heads, T, S]

private:
    Tensor blocks(const Tensor& x, const std::function<Tensor(const Tensor&)>& self_part, const KeyValue& memory,
                  const Tensor& memory_padding);
    Tensor feed_forward(const Tensor& x);
    Tensor drop(const Tensor& x);
    Generator gen_;
};

// A stack of encoder layers, with an optional final LayerNorm ("norm"), as
// nn.TransformerEncoder; names "layers.0.self_attn.in_proj_weight", ...
class TransformerEncoder : public Module {
public:
    TransformerEncoder(const TransformerLayerOptions& layer, std::size_t num_layers, bool final_norm,
                       Generator& gen = default_generator());
    Tensor forward(const Tensor& src, const Tensor& mask = Tensor(), const Tensor& src_key_padding_mask = Tensor());
    Tensor operator()(const Tensor& src, const Tensor& mask = Tensor(), const Tensor& src_key_padding_mask = Tensor()) {
        return forward(src, mask, src_key_padding_mask);
    }
    std::vector<std::unique_ptr<TransformerEncoderLayer>> layers;
    std::unique_ptr<LayerNorm> norm;  // null without final_norm
};

// A stack of decoder layers with an optional final LayerNorm, as
// nn.TransformerDecoder, plus incremental decoding: start() once per memory,
// then forward_step() once per new position.
class TransformerDecoder : public Module {
public:
    TransformerDecoder(const TransformerLayerOptions& layer, std::size_t num_layers, bool final_norm,
                       Generator& gen = default_generator());
    Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                   const Tensor& tgt_key_padding_mask = Tensor(), const Tensor& memory_key_padding_mask = Tensor());
    Tensor operator()(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                      const Tensor& tgt_key_padding_mask = Tensor(), const Tensor& memory_key_padding_mask = Tensor()) {
        return forward(tgt, memory, tgt_mask, tgt_key_padding_mask, memory_key_padding_mask);
    }
    std::vector<DecoderLayerCache> start(const Tensor& memory) const;
    Tensor forward_step(const Tensor& x, std::vector<DecoderLayerCache>& caches,
                        const Tensor& memory_key_padding_mask = Tensor());
    std::vector<std::unique_ptr<TransformerDecoderLayer>> layers;
    std::unique_ptr<LayerNorm> norm;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
