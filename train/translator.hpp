// SPDX-License-Identifier: MIT
#pragma once
// What the translation examples need of a sequence-to-sequence model, so the
// RNN with attention (seq2seq.hpp) and the Transformer
// (transformer_seq2seq.hpp) train and decode through the same loop.

#include <vector>

#include "../nn/module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

struct Decoded {
    std::vector<Index> tokens;                     // without <s> and </s>
    std::vector<std::vector<double>> attention;    // one row of source weights per output token
    // Transformer only: per decoder layer, one head's cross-attention rows
    std::vector<std::vector<std::vector<double>>> layer_attention;
    double log_prob = 0;
};

class Translator : public nn::Module {
public:
    // Mean cross-entropy of tgt_out given tgt_in (teacher forcing), both
    // [T, B]; src [S, B] padded ids with their lengths; pad ignored.
    virtual Tensor loss(const IndexArray& src, const std::vector<std::size_t>& lengths, const IndexArray& tgt_in,
                        const IndexArray& tgt_out) = 0;
    virtual std::vector<Decoded> greedy(const IndexArray& src, const std::vector<std::size_t>& lengths, Index bos,
                                        Index eos, std::size_t max_len) = 0;
    // Beam search for one source sequence; best first.
    virtual std::vector<Decoded> beam(const std::vector<Index>& src, Index bos, Index eos, std::size_t width,
                                      std::size_t max_len, double alpha = 1.0) = 0;
};

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
