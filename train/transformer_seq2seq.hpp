// SPDX-License-Identifier: MIT
#pragma once
// The Transformer (Vaswani et al. 2017) as a sequence-to-sequence model,
// beside the RNN with attention (seq2seq.hpp), with the same interface:
//
//   encoder   m = Encoder(embed(x) + PE)                  memory [S, B, E]
//   decoder   h = Decoder(embed(y_<t) + PE, m)            causal self-attention,
//                                                         cross-attention over m
//             p(y_t) = softmax(W_o h_t)
//
// Training runs the decoder over the whole target at once under a causal
// mask. Decoding is incremental: each step runs the decoder on the newest
// position only, its layers keeping earlier positions' keys and values and
// the memory's projections (nn::TransformerDecoder::forward_step), so a
// step costs O(t) attention instead of recomputing the prefix.

#include "../nn/embedding.hpp"
#include "../nn/linear.hpp"
#include "../nn/positional_encoding.hpp"
#include "../nn/transformer.hpp"
#include "translator.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

struct TransformerSeq2SeqOptions {
    std::size_t src_vocab = 0, tgt_vocab = 0;
    nn::TransformerLayerOptions layer = {128, 4, 512, real(0.1), nn::Activation::ReLU, false, real(1e-5)};
    std::size_t encoder_layers = 2, decoder_layers = 2;
    std::size_t max_len = 512;      // longest source or target the positions cover
    std::size_t picture_head = 0;   // the head whose attention Decoded::layer_attention keeps
    Index pad = 0;
};

class TransformerSeq2Seq : public Translator {
public:
    explicit TransformerSeq2Seq(const TransformerSeq2SeqOptions& options, Generator& gen = default_generator());

    struct Encoded {
        Tensor memory;   // [S, B, E]
        Tensor padding;  // [B, S], 1 at padding; undefined when nothing is padded
    };
    Encoded encode(const IndexArray& src, const std::vector<std::size_t>& lengths);
    // Teacher forcing: logits [T, B, V] of every target position at once.
    Tensor logits(const Encoded& enc, const IndexArray& tgt_in);

    Tensor loss(const IndexArray& src, const std::vector<std::size_t>& lengths, const IndexArray& tgt_in,
                const IndexArray& tgt_out) override;
    std::vector<Decoded> greedy(const IndexArray& src, const std::vector<std::size_t>& lengths, Index bos, Index eos,
                                std::size_t max_len) override;
    std::vector<Decoded> beam(const std::vector<Index>& src, Index bos, Index eos, std::size_t width,
                              std::size_t max_len, double alpha = 1.0) override;

    const TransformerSeq2SeqOptions& options() const { return o_; }

    nn::Embedding src_emb, tgt_emb;
    nn::SinusoidalPositionalEncoding positions;
    nn::TransformerEncoder encoder;
    nn::TransformerDecoder decoder;
    nn::Linear out;

private:
    // One incremental decoder step: the next tokens prev [B] at position t.
    Tensor step(std::vector<nn::DecoderLayerCache>& caches, const IndexArray& prev, std::size_t t,
                const Tensor& padding);
    // This step's cross-attention of batch row b: the heads' mean in the last
    // layer, and the picture head in each layer.
    void keep_attention(Decoded& d, std::size_t b, std::size_t S) const;
    TransformerSeq2SeqOptions o_;
};

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
