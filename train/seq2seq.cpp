// SPDX-License-Identifier: MIT
#include "seq2seq.hpp"

#include <xtensor/xview.hpp>

#include "../autograd/grad_mode.hpp"
#include "../ops/index.hpp"
#include "../ops/loss.hpp"
#include "../ops/shape.hpp"
#include "../ops/softmax.hpp"
#include "../ops/unary.hpp"
#include "beam_search.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {
using namespace nn;

namespace {
RecurrentOptions bidirectional() {
    RecurrentOptions r;
    r.bidirectional(true);
    return r;
}
}  // namespace

Seq2Seq::Seq2Seq(const Seq2SeqOptions& o, Generator& g)
    : src_emb(o.src_vocab, o.embed, o.pad, g),
      tgt_emb(o.tgt_vocab, o.embed, o.pad, g),
      encoder(o.embed, o.encoder_hidden, bidirectional(), g),
      bridge(2 * o.encoder_hidden, o.decoder_hidden, true, g),
      decoder(o.embed + 2 * o.encoder_hidden, o.decoder_hidden, g),
      attn(o.score, o.decoder_hidden, 2 * o.encoder_hidden, o.attention_size, g),
      combine(o.decoder_hidden + 2 * o.encoder_hidden, o.decoder_hidden, true, g),
      out(o.decoder_hidden, o.tgt_vocab, true, g),
      o_(o) {
    register_module("src_emb", src_emb);
    register_module("tgt_emb", tgt_emb);
    register_module("encoder", encoder);
    register_module("bridge", bridge);
    register_module("decoder", decoder);
    register_module("attn", attn);
    register_module("combine", combine);
    register_module("out", out);
}

Seq2Seq::Encoded Seq2Seq::encode(const IndexArray& src, const std::vector<std::size_t>& lengths) {
    if (src.dimension() != 2) fail("Seq2Seq::encode: source ids must be [time, batch], got {} axes", src.dimension());
    const std::size_t S = src.shape()[0], B = src.shape()[1];
    SequenceOutput enc = encoder.forward(src_emb(src), lengths);
    Array m(Shape{B, S}, real(0));
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t s = 0; s < (lengths.empty() ? S : lengths[b]); ++s) m(b, s) = 1;
    // s_0 = tanh(W_b [h_fwd; h_bwd]): both directions' summaries of the source
    Tensor h0 = tanh(bridge(concat({enc.final_states[0][0], enc.final_states[1][0]}, 1)));
    return {attn.memory(transpose(enc.output, 0, 1), Tensor(std::move(m))), h0};
}

Seq2Seq::Step Seq2Seq::step(const Encoded& e, const IndexArray& prev, const Tensor& h, const Tensor& context) {
    Tensor s = decoder(concat({tgt_emb(prev), context}, 1), {h})[0];  // s_t = GRU([y_{t-1}; c_{t-1}], s_{t-1})
    AttentionResult a = attn(s, e.memory);                             // alpha_t, c_t
    Tensor o = tanh(combine(concat({s, a.context}, 1)));               // o_t = tanh(W_c [s_t; c_t])
    return {out(o), s, a.context, a.weights};
}

Tensor Seq2Seq::loss(const IndexArray& src, const std::vector<std::size_t>& lengths, const IndexArray& tgt_in,
                     const IndexArray& tgt_out) {
    if (tgt_in.shape() != tgt_out.shape() || tgt_in.dimension() != 2 || tgt_in.shape()[1] != src.shape()[1])
        fail("Seq2Seq::loss: targets {} and {} must both be [time, batch {}]",
             shape_str(Shape(tgt_in.shape().begin(), tgt_in.shape().end())),
             shape_str(Shape(tgt_out.shape().begin(), tgt_out.shape().end())), src.shape()[1]);
    Encoded e = encode(src, lengths);
    Tensor h = e.h0;
    Tensor context = Tensor::zeros(make_shape({src.shape()[1], 2 * o_.encoder_hidden}));
    std::vector<Tensor> logits;
    for (std::size_t t = 0; t < tgt_in.shape()[0]; ++t) {
        IndexArray prev = xt::view(tgt_in, t, xt::all());
        Step s = step(e, prev, h, context);
        h = s.h;
        context = s.context;
        logits.push_back(s.logits);
    }
    return cross_entropy(stack(logits, 0), tgt_out, o_.pad);  // mean over real target tokens
}

std::vector<Decoded> Seq2Seq::greedy(const IndexArray& src, const std::vector<std::size_t>& lengths, Index bos,
                                     Index eos, std::size_t max_len) {
    NoGradGuard no_grad;
    const std::size_t B = src.shape()[1];
    Encoded e = encode(src, lengths);
    Tensor h = e.h0;
    Tensor context = Tensor::zeros(make_shape({B, 2 * o_.encoder_hidden}));
    IndexArray prev = IndexArray::from_shape({B});
    prev.fill(bos);
    std::vector<Decoded> out(B);
    std::vector<bool> finished(B, false);
    for (std::size_t t = 0; t < max_len; ++t) {
        Step s = step(e, prev, h, context);
        h = s.h;
        context = s.context;
        Tensor logp = log_softmax(s.logits, 1);
        bool all = true;
        for (std::size_t b = 0; b < B; ++b) {
            std::size_t best = 0;
            const std::size_t V = logp.shape()[1];
            for (std::size_t v = 1; v < V; ++v)
                if (logp.value()(b, v) > logp.value()(b, best)) best = v;
            prev(b) = static_cast<Index>(best);
            if (finished[b]) continue;
            out[b].log_prob += logp.value()(b, best);
            if (prev(b) == eos) {
                finished[b] = true;
                continue;
            }
            out[b].tokens.push_back(prev(b));
            std::vector<double> row;
            for (std::size_t k = 0; k < (lengths.empty() ? src.shape()[0] : lengths[b]); ++k)
                row.push_back(s.weights.value()(b, k));
            out[b].attention.push_back(std::move(row));
            all = false;
        }
        if (all) break;
    }
    return out;
}

std::vector<Decoded> Seq2Seq::beam(const std::vector<Index>& src, Index bos, Index eos, std::size_t width,
                                   std::size_t max_len, double alpha) {
    NoGradGuard no_grad;
    if (src.empty()) fail<ValueError>("Seq2Seq::beam: empty source sequence");
    IndexArray ids = IndexArray::from_shape({src.size(), 1});
    for (std::size_t s = 0; s < src.size(); ++s) ids(s, 0) = src[s];
    const Encoded one = encode(ids, {src.size()});
    Encoded e = one;
    Tensor h = one.h0, context = Tensor::zeros(make_shape({1, 2 * o_.encoder_hidden}));
    std::vector<Tensor> weights_per_step;  // [K, S] per step, for the attention of the winners
    auto decoder_step = [&](const std::vector<std::size_t>& parents, const std::vector<Index>& last) {
        IndexArray par = IndexArray::from_shape({parents.size()});
        IndexArray zeros = IndexArray::from_shape({parents.size()});
        IndexArray prev = IndexArray::from_shape({last.size()});
        for (std::size_t k = 0; k < parents.size(); ++k) {
            par(k) = static_cast<Index>(parents[k]);
            zeros(k) = 0;
            prev(k) = last[k];
        }
        h = index_select(h, par);  // reorder the beams' state by parent
        context = index_select(context, par);
        if (e.memory.keys.shape()[0] != parents.size()) {  // the source repeated once per live beam
            const AttentionMemory& m = one.memory;
            e.memory = {index_select(m.keys, zeros), index_select(m.mask, zeros),
                        m.projected.defined() ? index_select(m.projected, zeros) : Tensor()};
        }
        Step s = step(e, prev, h, context);
        h = s.h;
        context = s.context;
        weights_per_step.push_back(s.weights);
        return log_softmax(s.logits, 1).value();
    };
    std::vector<train::Hypothesis> hyps = train::beam_search(decoder_step, width, max_len, bos, eos, alpha);
    std::vector<Decoded> out;
    for (const auto& hyp : hyps) {
        Decoded d;
        d.tokens = hyp.tokens;
        d.log_prob = hyp.log_prob;
        // parents[t] is the row of step t's live beams that this hypothesis
        // extended, so it is also the row of step t's attention weights.
        for (std::size_t t = 0; t < d.tokens.size() && t < weights_per_step.size(); ++t) {
            std::vector<double> row;
            const Tensor& w = weights_per_step[t];
            const std::size_t r = hyp.parents[t];
            for (std::size_t s = 0; s < w.shape()[1]; ++s) row.push_back(w.value()(r, s));
            d.attention.push_back(std::move(row));
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
