// SPDX-License-Identifier: MIT
// The Transformer beyond single-layer parity: positional encodings,
// incremental decoding (a step with cached keys and values gives the full
// forward's row), and the seq2seq model's decoding against its own
// teacher-forced probabilities.
#include <cmath>

#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;
using tapegrad::train::TransformerSeq2Seq;
using tapegrad::train::TransformerSeq2SeqOptions;

namespace {
constexpr double kTol = kDouble ? 1e-10 : 2e-5;

IndexArray ids_of(const std::vector<std::vector<Index>>& rows) {  // rows[t][b]
    IndexArray ids = IndexArray::from_shape({rows.size(), rows[0].size()});
    for (std::size_t t = 0; t < rows.size(); ++t)
        for (std::size_t b = 0; b < rows[0].size(); ++b) ids(t, b) = rows[t][b];
    return ids;
}
}  // namespace

TEST_CASE("positional encodings: the sinusoid's values, learned rows' gradients, offsets, errors", "[nn][transformer]") {
    SinusoidalPositionalEncoding pe(6, 50);
    const Array& t = pe.table.value();
    CHECK(t(7, 0) == Approx(std::sin(7.0)).margin(1e-6));
    CHECK(t(7, 1) == Approx(std::cos(7.0)).margin(1e-6));
    CHECK(t(7, 4) == Approx(std::sin(7.0 / std::pow(10000.0, 4.0 / 6))).margin(1e-6));
    CHECK(pe.parameters().empty());  // a constant
    const Tensor x = Tensor::zeros(make_shape({3, 2, 6}));
    const Tensor y = pe(x, 5);  // rows 5, 6, 7 for both batch entries
    CHECK(y.value()(2, 1, 0) == t(7, 0));
    CHECK(y.value()(0, 0, 1) == t(5, 1));
    require_throws_with<ValueError>([&] { pe(x, 48); }, {"SinusoidalPositionalEncoding", "48..50", "max_len 50"});
    require_throws_with<ShapeError>([&] { pe(Tensor::zeros(make_shape({3, 2, 5}))); }, {"[3, 2, 5]", "[T, B, 6]"});

    LearnedPositionalEncoding lp(10, 4);
    REQUIRE(lp.named_parameters().size() == 1);
    CHECK(lp.named_parameters()[0].first == "weight");
    sum(lp(Tensor::ones(make_shape({2, 3, 4})), 4)).backward();
    const Array& g = lp.weight.grad();
    CHECK(g(3, 0) == 0);   // before the offset
    CHECK(g(4, 0) == 3);   // summed over the batch of 3
    CHECK(g(5, 3) == 3);
    CHECK(g(6, 0) == 0);   // after the last position
}

TEST_CASE("incremental decoding: each step with cached keys and values is the full forward's row", "[nn][transformer]") {
    for (bool pre : {false, true}) {
        INFO("norm_first " << pre);
        Generator g(3);
        TransformerLayerOptions o;
        o.d_model = 8, o.nhead = 2, o.dim_feedforward = 16, o.dropout = 0, o.norm_first = pre;
        TransformerDecoder dec(o, 2, true, g);
        const Tensor memory = rnd({5, 3, 8}, 1), tgt = rnd({6, 3, 8}, 2);
        Array pad = xt::zeros<real>({3, 5});
        pad(2, 4) = pad(2, 3) = 1;
        const Tensor memory_pad(pad);
        const Tensor full = dec(tgt, memory, MultiheadAttention::causal_mask(6), Tensor(), memory_pad);
        std::vector<DecoderLayerCache> caches = dec.start(memory);
        for (std::size_t t = 0; t < 6; ++t) {
            const Tensor y = dec.forward_step(slice(tgt, 0, t, t + 1), caches, memory_pad);
            CHECK(close(y.value(), slice(full, 0, t, t + 1).value(), kTol));
            CHECK(caches[1].self.length() == t + 1);
            CHECK(caches[0].memory.length() == 5);  // the memory is projected once
        }
        require_throws_with<ValueError>([&] {
            std::vector<DecoderLayerCache> none;
            dec.forward_step(slice(tgt, 0, 0, 1), none);
        }, {"forward_step", "0 caches for 2 layers"});
        require_throws_with<ShapeError>([&] { dec.layers[0]->self_attn.forward_step(tgt, caches[0].self); },
                                        {"forward_step", "[6, 3, 8]", "one position"});
    }
}

TEST_CASE("TransformerSeq2Seq: greedy and beam decoding agree with the teacher-forced model", "[nn][transformer]") {
    Generator g(11);
    TransformerSeq2SeqOptions o;
    o.src_vocab = 9, o.tgt_vocab = 7;
    o.layer.d_model = 16, o.layer.nhead = 4, o.layer.dim_feedforward = 32, o.layer.dropout = 0;
    TransformerSeq2Seq model(o, g);
    model.eval();
    const Index bos = 1, eos = 2;
    model.out.bias.mutable_value()(eos) = -1;  // an untrained model: keep it from stopping at once
    const IndexArray src = ids_of({{3, 4}, {5, 6}, {7, 0}, {8, 0}});  // lengths 4 and 2
    const std::vector<std::size_t> lengths = {4, 2};
    const auto greedy = model.greedy(src, lengths, bos, eos, 5);
    REQUIRE(greedy.size() == 2);
    for (std::size_t b = 0; b < 2; ++b) {
        INFO("batch row " << b);
        REQUIRE(greedy[b].tokens.size() >= 2);
        // the whole greedy prefix run at once: each output is that position's argmax
        std::vector<std::vector<Index>> in{{bos}};
        for (Index y : greedy[b].tokens) in.push_back({y});
        std::vector<std::vector<Index>> one_src;
        for (std::size_t s = 0; s < lengths[b]; ++s) one_src.push_back({src(s, b)});
        NoGradGuard no_grad;
        const Tensor logp = log_softmax(model.logits(model.encode(ids_of(one_src), {lengths[b]}), ids_of(in)), 2);
        double total = 0;
        for (std::size_t t = 0; t < in.size() && t < 5; ++t) {
            std::size_t best = 0;
            for (std::size_t v = 1; v < 7; ++v)
                if (logp.value()(t, 0, v) > logp.value()(t, 0, best)) best = v;
            const Index expected = t < greedy[b].tokens.size() ? greedy[b].tokens[t] : eos;
            CHECK(Index(best) == expected);
            total += logp.value()(t, 0, best);
        }
        CHECK(greedy[b].log_prob == Approx(total).epsilon(1e-4));
        REQUIRE(greedy[b].layer_attention.size() == 2);
        CHECK(greedy[b].attention.size() == greedy[b].tokens.size());
        for (const auto& row : greedy[b].attention) {
            REQUIRE(row.size() == lengths[b]);  // padding is not attended and not shown
            double s = 0;
            for (double w : row) s += w;
            CHECK(s == Approx(1).epsilon(1e-4));
        }
        // beam search of width 1 is greedy search; a wider beam is never worse
        std::vector<Index> flat;
        for (std::size_t s = 0; s < lengths[b]; ++s) flat.push_back(src(s, b));
        const auto one = model.beam(flat, bos, eos, 1, 5, 0.0);
        if (greedy[b].tokens.size() < 5) {  // (greedy's cut-off hypothesis never finished: beam drops it)
            REQUIRE(!one.empty());
            CHECK(one[0].tokens == greedy[b].tokens);
            CHECK(one[0].log_prob == Approx(greedy[b].log_prob).epsilon(1e-4));
            const auto wide = model.beam(flat, bos, eos, 4, 5, 0.0);
            REQUIRE(!wide.empty());
            CHECK(wide[0].log_prob >= one[0].log_prob - 1e-5);
            CHECK(wide[0].layer_attention[1].size() == wide[0].tokens.size());
        }
    }
}

TEST_CASE("TransformerSeq2Seq learns to reverse short sequences", "[learning][transformer]") {
    Generator g(2);
    TransformerSeq2SeqOptions o;
    o.src_vocab = o.tgt_vocab = 8;  // 0 pad, 1 <s>, 2 </s>, 3..7 symbols
    o.layer.d_model = 32, o.layer.nhead = 4, o.layer.dim_feedforward = 64, o.layer.dropout = 0;
    o.encoder_layers = o.decoder_layers = 1;
    TransformerSeq2Seq model(o, g);
    optim::Adam opt(model.parameters(), optim::AdamOptions{real(3e-3)});
    std::mt19937_64 rng(4);
    auto draw = [&](std::size_t B) {
        std::vector<std::vector<Index>> s(4, std::vector<Index>(B)), in(5, std::vector<Index>(B)),
            out(5, std::vector<Index>(B));
        for (std::size_t b = 0; b < B; ++b) {
            in[0][b] = 1;
            for (std::size_t t = 0; t < 4; ++t) s[t][b] = Index(3 + rng() % 5);
            for (std::size_t t = 0; t < 4; ++t) in[t + 1][b] = out[t][b] = s[3 - t][b];
            out[4][b] = 2;
        }
        return std::make_tuple(ids_of(s), ids_of(in), ids_of(out));
    };
    for (int step = 0; step < 150; ++step) {
        auto [s, in, out] = draw(32);
        opt.zero_grad();
        model.loss(s, {}, in, out).backward();
        opt.step();
    }
    model.eval();
    auto [s, in, out] = draw(100);
    const auto decoded = model.greedy(s, {}, 1, 2, 6);
    std::size_t right = 0;
    for (std::size_t b = 0; b < 100; ++b) {
        std::vector<Index> expected;
        for (std::size_t t = 0; t < 4; ++t) expected.push_back(out(t, b));
        right += decoded[b].tokens == expected;
    }
    CHECK(right >= 90);
}
