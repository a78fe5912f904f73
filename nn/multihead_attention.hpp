// SPDX-License-Identifier: MIT
#pragma once
// Multi-head attention (Vaswani et al. 2017), PyTorch's nn.MultiheadAttention
// with batch_first=False, written as forward code over ops:
//     Q = query W_q^T + b_q,  K = key W_k^T + b_k,  V = value W_v^T + b_v
//     per head i (d = E / heads columns each):
//         alpha_i = softmax(Q_i K_i^T / sqrt(d))      masked positions get exactly 0
//         head_i  = alpha_i V_i
//     output = [head_1 ... head_h] W_o^T + b_o
// Shapes: query [L, B, E], key and value [S, B, E]; key_padding_mask [B, S]
// and attn_mask [L, S] are nonzero where attention is NOT allowed (PyTorch's
// boolean masks). A query that may attend nowhere gets zero weights (and the
// output bias), never NaN. Parameter names are PyTorch's -- in_proj_weight
// [3E, E], in_proj_bias [3E], out_proj.weight, out_proj.bias -- so a
// state_dict loads as it is.

#include "linear.hpp"
#include "module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

// Keys and values after their projections, split into heads: [B*heads, S, d]
// (head i of batch entry b is row b*heads + i). Computed once per memory for
// cross-attention; grown by one position per step for incremental decoding.
struct KeyValue {
    Tensor k, v;
    std::size_t length() const { return k.defined() ? k.shape()[1] : 0; }
};

struct MultiheadAttentionOutput {
    Tensor output;   // [L, B, E]
    Tensor weights;  // [B, L, S] averaged over the heads, or [B, heads, L, S]
};

class MultiheadAttention : public Module {
public:
    MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, real dropout = 0, bool bias = true,
                       Generator& gen = default_generator());
    MultiheadAttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const Tensor& key_padding_mask = Tensor(), const Tensor& attn_mask = Tensor(),
                                     bool average_weights = true);
    MultiheadAttentionOutput operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                        const Tensor& key_padding_mask = Tensor(), const Tensor& attn_mask = Tensor(),
                                        bool average_weights = true) {
        return forward(query, key, value, key_padding_mask, attn_mask, average_weights);
    }
    // [L, L], 1 above the diagonal: position t may attend to 0..t only.
    static Tensor causal_mask(std::size_t L);

    // forward() in its two halves, so a decoder can keep keys and values:
    // the projections of key and value ([S, B, E]) ...
    KeyValue project_key_value(const Tensor& key, const Tensor& value) const;
    // ... and attention of query [L, B, E] over them.
    MultiheadAttentionOutput attend(const Tensor& query, const KeyValue& kv, const Tensor& key_padding_mask = Tensor(),
                                    const Tensor& attn_mask = Tensor(), bool average_weights = true);
    // Incremental self-attention: x [1, B, E] is the next position; its key and
    // value are appended to `cache`, and it attends to every position so far
    // (the causal mask without recomputing earlier positions).
    MultiheadAttentionOutput forward_step(const Tensor& x, KeyValue& cache, bool average_weights = true);
    // The rows of a KeyValue for batch entries `rows` (beam search reorders its
    // hypotheses' caches by parent).
    KeyValue select_batch(const KeyValue& kv, const std::vector<std::size_t>& rows) const;

    std::size_t embed_dim, num_heads;
    real dropout;
    Tensor in_proj_weight, in_proj_bias;  // [3E, E], [3E] (undefined without bias): q, k, v stacked
    Linear out_proj;

private:
    Tensor project(const Tensor& x, std::size_t part) const;
    Tensor split_heads(const Tensor& x) const;  // [T, B, E] -> [B*h, T, d]
    Generator dropout_gen_;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
