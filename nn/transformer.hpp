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
    Tensor last_attention;  // the self-attention weights of the last forward, [B, S, S] (for pictures)

private:
    Tensor feed_forward(const Tensor& x);
    Tensor drop(const Tensor& x);
    Generator gen_;
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

    TransformerLayerOptions options;
    MultiheadAttention self_attn, multihead_attn;
    Linear linear1, linear2;
    LayerNorm norm1, norm2, norm3;
    Tensor last_attention;  // the cross-attention weights of the last forward, [B, T, S]

private:
    Tensor feed_forward(const Tensor& x);
    Tensor drop(const Tensor& x);
    Generator gen_;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
