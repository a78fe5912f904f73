// SPDX-License-Identifier: MIT
#include "attention.hpp"

#include <cmath>

#include "../ops/arithmetic.hpp"
#include "../ops/attention.hpp"
#include "../ops/index.hpp"
#include "../ops/linear.hpp"
#include "../ops/matmul.hpp"
#include "../ops/shape.hpp"
#include "../ops/softmax.hpp"
#include "../ops/unary.hpp"
#include "init.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

Attention::Attention(Score s, std::size_t Q, std::size_t K, std::size_t A, Generator& gen)
    : score(s), query_size_(Q), key_size_(K) {
    if (Q == 0 || K == 0) fail<ValueError>("Attention: sizes must be positive, got query {} key {}", Q, K);
    if (s == Score::Dot && Q != K)
        fail<ValueError>("Attention: dot scores need equal query and key sizes, got {} and {}", Q, K);
    if (s == Score::General) {
        W = Tensor::zeros(make_shape({Q, K}));
        init::xavier_uniform_(W, 1, gen);
        register_parameter("W", W);
    }
    if (s == Score::Additive) {
        if (A == 0) fail<ValueError>("Attention: additive scores need attention_size > 0");
        W_q = std::make_unique<Linear>(Q, A, true, gen);
        W_k = std::make_unique<Linear>(K, A, false, gen);
        v = std::make_unique<Linear>(A, 1, false, gen);
        register_module("W_q", *W_q);
        register_module("W_k", *W_k);
        register_module("v", *v);
    }
}

AttentionMemory Attention::memory(const Tensor& keys, const Tensor& mask) const {
    if (keys.dim() != 3 || keys.shape()[2] != key_size_)
        fail("Attention: keys of shape {} are not [batch, source, {}]", shape_str(keys.shape()), key_size_);
    const std::size_t B = keys.shape()[0], S = keys.shape()[1];
    if (mask.defined() && mask.shape() != make_shape({B, S}))
        fail("Attention: mask of shape {} is not [{}, {}] like the keys {}", shape_str(mask.shape()), B, S,
             shape_str(keys.shape()));
    // W_k a_s for every source position, once
    return {keys, mask, score == Score::Additive ? W_k->forward(keys) : Tensor()};
}

AttentionResult Attention::forward(const Tensor& query, const Tensor& keys, const Tensor& mask) const {
    return forward(query, memory(keys, mask));
}

AttentionResult Attention::forward(const Tensor& query, const AttentionMemory& m) const {
    const Tensor& keys = m.keys;
    if (!keys.defined() || keys.dim() != 3)
        fail<ValueError>("Attention: the memory has no keys (make it with Attention::memory)");
    const std::size_t B = keys.shape()[0], S = keys.shape()[1];
    if (query.dim() != 2 || query.shape()[0] != B || query.shape()[1] != query_size_)
        fail("Attention: query of shape {} is not [{}, {}] (keys {})", shape_str(query.shape()), B, query_size_,
             shape_str(keys.shape()));

    if (score != Score::Additive) {
        // Dot: e_s = q . a_s.  General: e_s = q . (W a_s) = (q W) . a_s, so the
        // query is projected once instead of every key.
        Tensor alpha = attention_weights(score == Score::General ? matmul(query, W) : query, keys, m.mask);
        return {attention_context(alpha, keys), alpha};  // c = sum_s alpha_s a_s
    }
    const std::size_t A = W_k->weight.shape()[0];
    if (!m.projected.defined() || m.projected.shape() != make_shape({B, S, A}))
        fail<ValueError>("Attention: additive scores need the memory's projected keys [{}, {}, {}], got {} "
                         "(make the memory with this module's memory())",
                         B, S, A, m.projected.defined() ? shape_str(m.projected.shape()) : std::string("none"));
    // e_s = v . tanh(W_q q + b + W_k a_s), W_k a_s from the memory
    const auto b = static_cast<std::ptrdiff_t>(B);
    Tensor e = tanh(m.projected + reshape(W_q->forward(query), {b, 1, -1}));  // [B, S, A]
    e = reshape(v->forward(e), {b, static_cast<std::ptrdiff_t>(S)});
    // a padded position's weight is exactly 0, whatever its score
    Tensor alpha = m.mask.defined() ? masked_softmax(e, m.mask, 1) : softmax(e, 1);  // [B, S]
    Tensor context = attention_context(alpha, keys);                               // sum_s alpha_s a_s
    return {context, alpha};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
