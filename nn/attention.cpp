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

// Additive scores e_s = v . tanh(W_q q + b + W_k a_s), [B, S]
Tensor Attention::additive_scores(const Tensor& q, const Tensor& keys) const {
    const std::ptrdiff_t B = static_cast<std::ptrdiff_t>(keys.shape()[0]);
    const std::ptrdiff_t S = static_cast<std::ptrdiff_t>(keys.shape()[1]);
    Tensor e = tanh(W_k->forward(keys) + reshape(W_q->forward(q), {B, 1, -1}));  // [B, S, A]
    return reshape(v->forward(e), {B, S});
}

AttentionResult Attention::forward(const Tensor& query, const Tensor& keys, const Tensor& mask) const {
    if (keys.dim() != 3 || keys.shape()[2] != key_size_)
        fail("Attention: keys of shape {} are not [batch, source, {}]", shape_str(keys.shape()), key_size_);
    const std::size_t B = keys.shape()[0], S = keys.shape()[1];
    if (query.dim() != 2 || query.shape()[0] != B || query.shape()[1] != query_size_)
        fail("Attention: query of shape {} is not [{}, {}] (keys {})", shape_str(query.shape()), B, query_size_,
             shape_str(keys.shape()));
    if (mask.defined() && mask.shape() != make_shape({B, S}))
        fail("Attention: mask of shape {} is not [{}, {}] like the keys {}", shape_str(mask.shape()), B, S,
             shape_str(keys.shape()));

    if (score != Score::Additive) {
        // Dot: e_s = q . a_s.  General: e_s = q . (W a_s) = (q W) . a_s, so the
        // query is projected once instead of every key.
        Tensor alpha = attention_weights(score == Score::General ? matmul(query, W) : query, keys, mask);
        return {attention_context(alpha, keys), alpha};  // c = sum_s alpha_s a_s
    }
    Tensor e = additive_scores(query, keys);
    // A very negative score gives a padded position weight exp(-1e9) = 0.
    if (mask.defined()) e = where(mask, e, Tensor::full(make_shape({1}), real(-1e9)));
    Tensor alpha = softmax(e, 1);                                                   // [B, S]
    Tensor context = attention_context(alpha, keys);                               // sum_s alpha_s a_s
    return {context, alpha};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
