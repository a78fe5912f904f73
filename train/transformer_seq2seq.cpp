// SPDX-License-Identifier: MIT
#include "transformer_seq2seq.hpp"

#include "../autograd/grad_mode.hpp"
#include "../ops/loss.hpp"
#include "../ops/shape.hpp"
#include "../ops/softmax.hpp"
#include "beam_search.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {
using namespace nn;

TransformerSeq2Seq::TransformerSeq2Seq(const TransformerSeq2SeqOptions& o, Generator& g)
    : src_emb(o.src_vocab, o.layer.d_model, o.pad, g),
      tgt_emb(o.tgt_vocab, o.layer.d_model, o.pad, g),
      positions(o.layer.d_model, o.max_len),
      encoder(o.layer, o.encoder_layers, true, g),  // final norms, as nn.Transformer
      decoder(o.layer, o.decoder_layers, true, g),
      out(o.layer.d_model, o.tgt_vocab, true, g),
      o_(o) {
    if (o.picture_head >= o.layer.nhead)
        fail<ValueError>("TransformerSeq2Seq: picture_head {} of {} heads", o.picture_head, o.layer.nhead);
    register_module("src_emb", src_emb);
    register_module("tgt_emb", tgt_emb);
    register_module("encoder", encoder);
    register_module("decoder", decoder);
    register_module("out", out);
}

TransformerSeq2Seq::Encoded TransformerSeq2Seq::encode(const IndexArray& src, const std::vector<std::size_t>& lengths) {
    if (src.dimension() != 2)
        fail("TransformerSeq2Seq::encode: source ids must be [time, batch], got {} axes", src.dimension());
    const std::size_t S = src.shape()[0], B = src.shape()[1];
    if (!lengths.empty() && lengths.size() != B)
        fail<ValueError>("TransformerSeq2Seq::encode: {} lengths for a batch of {}", lengths.size(), B);
    Tensor padding;
    bool padded = false;
    for (std::size_t l : lengths) padded |= l < S;
    if (padded) {
        Array m(Shape{B, S}, real(0));
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t s = lengths[b]; s < S; ++s) m(b, s) = 1;
        padding = Tensor(std::move(m));
    }
    return {encoder(positions(src_emb(src)), Tensor(), padding), padding};
}

Tensor TransformerSeq2Seq::logits(const Encoded& e, const IndexArray& tgt_in) {
    const Tensor causal = MultiheadAttention::causal_mask(tgt_in.shape()[0]);
    // no target padding mask: padding comes last, and the causal mask keeps
    // every real position from seeing it; the loss ignores padded positions
    return out(decoder(positions(tgt_emb(tgt_in)), e.memory, causal, Tensor(), e.padding));
}

Tensor TransformerSeq2Seq::loss(const IndexArray& src, const std::vector<std::size_t>& lengths,
                                const IndexArray& tgt_in, const IndexArray& tgt_out) {
    if (tgt_in.shape() != tgt_out.shape() || tgt_in.dimension() != 2 || tgt_in.shape()[1] != src.shape()[1])
        fail("TransformerSeq2Seq::loss: targets {} and {} must both be [time, batch {}]",
             shape_str(Shape(tgt_in.shape().begin(), tgt_in.shape().end())),
             shape_str(Shape(tgt_out.shape().begin(), tgt_out.shape().end())), src.shape()[1]);
    return cross_entropy(logits(encode(src, lengths), tgt_in), tgt_out, o_.pad);
}

Tensor TransformerSeq2Seq::step(std::vector<DecoderLayerCache>& caches, const IndexArray& prev, std::size_t t,
                                const Tensor& padding) {
    IndexArray ids = IndexArray::from_shape({1, prev.size()});
    for (std::size_t b = 0; b < prev.size(); ++b) ids(0, b) = prev(b);
    const Tensor y = decoder.forward_step(positions(tgt_emb(ids), t), caches, padding);  // [1, B, E]
    return log_softmax(select(out(y), 0), 1);                                          // [B, V]
}

void TransformerSeq2Seq::keep_attention(Decoded& d, std::size_t b, std::size_t S) const {
    for (std::size_t l = 0; l < decoder.layers.size(); ++l) {
        const Array& w = decoder.layers[l]->last_attention.value();  // [B, heads, 1, S]
        const std::size_t h = w.shape()[1];
        std::vector<double> head, mean(S, 0.0);
        for (std::size_t s = 0; s < S; ++s) {
            head.push_back(w(b, o_.picture_head, 0, s));
            for (std::size_t i = 0; i < h; ++i) mean[s] += w(b, i, 0, s) / double(h);
        }
        d.layer_attention[l].push_back(std::move(head));
        if (l + 1 == decoder.layers.size()) d.attention.push_back(std::move(mean));
    }
}

std::vector<Decoded> TransformerSeq2Seq::greedy(const IndexArray& src, const std::vector<std::size_t>& lengths,
                                                Index bos, Index eos, std::size_t max_len) {
    NoGradGuard no_grad;
    const std::size_t B = src.shape()[1];
    const Encoded e = encode(src, lengths);
    std::vector<DecoderLayerCache> caches = decoder.start(e.memory);
    IndexArray prev = IndexArray::from_shape({B});
    prev.fill(bos);
    std::vector<Decoded> result(B);
    for (Decoded& d : result) d.layer_attention.resize(decoder.layers.size());
    std::vector<bool> finished(B, false);
    for (std::size_t t = 0; t < max_len; ++t) {
        const Tensor logp = step(caches, prev, t, e.padding);
        const std::size_t V = logp.shape()[1];
        bool all = true;
        for (std::size_t b = 0; b < B; ++b) {
            const real* row = logp.data() + b * V;
            prev(b) = static_cast<Index>(std::max_element(row, row + V) - row);
            if (finished[b]) continue;
            result[b].log_prob += row[prev(b)];
            if (prev(b) == eos) {
                finished[b] = true;
                continue;
            }
            result[b].tokens.push_back(prev(b));
            keep_attention(result[b], b, lengths.empty() ? src.shape()[0] : lengths[b]);
            all = false;
        }
        if (all) break;
    }
    return result;
}

std::vector<Decoded> TransformerSeq2Seq::beam(const std::vector<Index>& src, Index bos, Index eos, std::size_t width,
                                              std::size_t max_len, double alpha) {
    NoGradGuard no_grad;
    if (src.empty()) fail<ValueError>("TransformerSeq2Seq::beam: empty source sequence");
    IndexArray ids = IndexArray::from_shape({src.size(), 1});
    for (std::size_t s = 0; s < src.size(); ++s) ids(s, 0) = src[s];
    const Encoded e = encode(ids, {src.size()});
    const std::vector<DecoderLayerCache> one = decoder.start(e.memory);  // the memory of one source
    std::vector<DecoderLayerCache> caches = one;
    std::size_t t = 0;
    std::vector<std::vector<Decoded>> per_step;  // each live beam's attention at each step
    auto decoder_step = [&](const std::vector<std::size_t>& parents, const std::vector<Index>& last) {
        const std::size_t K = parents.size();
        for (std::size_t l = 0; l < caches.size(); ++l) {
            const MultiheadAttention& self = decoder.layers[l]->self_attn;
            const MultiheadAttention& cross = decoder.layers[l]->multihead_attn;
            if (caches[l].self.k.defined()) caches[l].self = self.select_batch(caches[l].self, parents);
            if (caches[l].memory.k.shape()[0] != K * cross.num_heads)  // the source once per live beam
                caches[l].memory = cross.select_batch(one[l].memory, std::vector<std::size_t>(K, 0));
        }
        IndexArray prev = IndexArray::from_shape({K});
        for (std::size_t k = 0; k < K; ++k) prev(k) = last[k];
        const Tensor logp = step(caches, prev, t++, Tensor());
        std::vector<Decoded> rows(K);
        for (Decoded& d : rows) d.layer_attention.resize(decoder.layers.size());
        for (std::size_t k = 0; k < K; ++k) keep_attention(rows[k], k, src.size());
        per_step.push_back(std::move(rows));
        return logp.value();
    };
    std::vector<Hypothesis> hyps = beam_search(decoder_step, width, max_len, bos, eos, alpha);
    std::vector<Decoded> result;
    for (const auto& hyp : hyps) {
        Decoded d;
        d.tokens = hyp.tokens;
        d.log_prob = hyp.log_prob;
        d.layer_attention.resize(decoder.layers.size());
        // parents[t] is the row of step t's live beams that this hypothesis extended
        for (std::size_t s = 0; s < d.tokens.size() && s < per_step.size(); ++s) {
            const Decoded& row = per_step[s][hyp.parents[s]];
            d.attention.push_back(row.attention[0]);
            for (std::size_t l = 0; l < row.layer_attention.size(); ++l)
                d.layer_attention[l].push_back(row.layer_attention[l][0]);
        }
        result.push_back(std::move(d));
    }
    return result;
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
