// SPDX-License-Identifier: MIT
#pragma once
// Sequence-to-sequence with attention (Luong et al. 2015, with input feeding):
//
//   encoder   a_1..a_S = BiGRU(embed(x_1..x_S))                 keys [B, S, 2*He]
//             s_0 = tanh(W_b [h_fwd; h_bwd])                     decoder's first state
//   decoder   s_t = GRUCell([embed(y_{t-1}); c_{t-1}], s_{t-1})
//             alpha_t = softmax_s(score(s_t, a_s)),  c_t = sum_s alpha_{t,s} a_s
//             o_t = tanh(W_c [s_t; c_t]),  p(y_t) = softmax(W_o o_t)
//
// Forward code only: the whole unrolled encoder-decoder is differentiated by
// the tape. Training uses teacher forcing (loss); decoding is greedy or beam
// search and returns the attention weights for plotting. A model with its
// decoding, so it lives with the training helpers, not in nn/.

#include <vector>

#include "../nn/attention.hpp"
#include "../nn/embedding.hpp"
#include "../nn/linear.hpp"
#include "../nn/recurrent.hpp"
#include "translator.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

struct Seq2SeqOptions {
    std::size_t src_vocab = 0, tgt_vocab = 0;
    std::size_t embed = 32;
    std::size_t encoder_hidden = 64;   // per direction
    std::size_t decoder_hidden = 128;  // must be 2 * encoder_hidden for dot scores
    nn::Score score = nn::Score::Dot;
    std::size_t attention_size = 64;   // additive scores only
    Index pad = 0;
};

class Seq2Seq : public Translator {
public:
    explicit Seq2Seq(const Seq2SeqOptions& options, Generator& gen = default_generator());

    struct Encoded {
        nn::AttentionMemory memory;  // keys [B, S, 2*He] and mask [B, S], prepared for attn
        Tensor h0;               // [B, Hd]
    };
    struct Step {
        Tensor logits, h, context, weights;
    };

    // src [S, B] padded ids with their lengths.
    Encoded encode(const IndexArray& src, const std::vector<std::size_t>& lengths);
    Step step(const Encoded& enc, const IndexArray& prev, const Tensor& h, const Tensor& context);
    // Mean cross-entropy of tgt_out given tgt_in (teacher forcing), both [T, B]; pad ignored.
    Tensor loss(const IndexArray& src, const std::vector<std::size_t>& lengths, const IndexArray& tgt_in,
                const IndexArray& tgt_out) override;
    std::vector<Decoded> greedy(const IndexArray& src, const std::vector<std::size_t>& lengths, Index bos, Index eos,
                                std::size_t max_len) override;
    // Beam search for one source sequence; best first.
    std::vector<Decoded> beam(const std::vector<Index>& src, Index bos, Index eos, std::size_t width,
                              std::size_t max_len, double alpha = 1.0) override;

    const Seq2SeqOptions& options() const { return o_; }

    nn::Embedding src_emb, tgt_emb;
    nn::GRU encoder;
    nn::Linear bridge;
    nn::GRUCell decoder;
    nn::Attention attn;
    nn::Linear combine, out;

private:
    Seq2SeqOptions o_;
};

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
