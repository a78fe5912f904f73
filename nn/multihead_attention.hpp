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

    std::size_t embed_dim, num_heads;
    real dropout;
    Tensor in_proj_weight, in_proj_bias;  // [3E, E], [3E] (undefined without bias): q, k, v stacked
    Linear out_proj;

private:
    Generator dropout_gen_;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
