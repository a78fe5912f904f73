// SPDX-License-Identifier: MIT
#pragma once
// Attention over a source sequence, for one decoder step:
//     e_s     = score(q, a_s)                      for each source position s
//     alpha_s = softmax_s(e_s)                     padded positions get 0
//     c       = sum_s alpha_s a_s                  the context vector
// Scores:
//     Dot       e_s = q . a_s                      (query and key sizes equal)
//     General   e_s = q . (W a_s)                  Luong; W is [query, key]
//     Additive  e_s = v . tanh(W_q q + W_k a_s + b) Bahdanau
//
// Shapes: query [B, Q], keys [B, S, K] (batch-first: permute an encoder's
// [S, B, K] output once per batch, not once per step), mask [B, S] with 1
// for real positions (or undefined). Returns the context [B, K] and the
// weights [B, S] -- plot them to see the alignment. A decoder attending to
// the same source at every step makes memory(keys, mask) once and passes it.

#include "linear.hpp"
#include "module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

enum class Score { Dot, General, Additive };

struct AttentionResult {
    Tensor context;  // [B, K]
    Tensor weights;  // [B, S]
};

// The source side, prepared once per batch for every decoder step: the keys,
// their padding mask, and for additive scores the keys' half of the score,
// W_k a_s, which each step would otherwise compute again (S times the work of
// the query's half).
struct AttentionMemory {
    Tensor keys;       // [B, S, K]
    Tensor mask;       // [B, S], or undefined
    Tensor projected;  // Additive: W_k a_s, [B, S, A]; undefined otherwise
};

class Attention : public Module {
public:
    // attention_size is the width of the additive score's hidden layer.
    Attention(Score score, std::size_t query_size, std::size_t key_size, std::size_t attention_size = 0,
              Generator& gen = default_generator());
    // Once per batch; then forward(query, memory) at every step.
    AttentionMemory memory(const Tensor& keys, const Tensor& mask = Tensor()) const;
    AttentionResult forward(const Tensor& query, const AttentionMemory& memory) const;
    AttentionResult operator()(const Tensor& query, const AttentionMemory& memory) const {
        return forward(query, memory);
    }
    // One step on its own: forward(query, memory(keys, mask)).
    AttentionResult forward(const Tensor& query, const Tensor& keys, const Tensor& mask = Tensor()) const;
    AttentionResult operator()(const Tensor& query, const Tensor& keys, const Tensor& mask = Tensor()) const {
        return forward(query, keys, mask);
    }

    Score score;
    Tensor W;                   // General: [Q, K]
    std::unique_ptr<Linear> W_q, W_k, v;  // Additive: Q -> A (with b), K -> A, A -> 1

private:
    std::size_t query_size_, key_size_;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
