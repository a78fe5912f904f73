// SPDX-License-Identifier: MIT
// Gradient checks of whole layers: every cell unrolled over a sequence with
// padding, a 2-layer bidirectional LSTM, and each attention kind. The
// module's parameters are passed to gradcheck as inputs: they are the same
// tensors the module uses, so perturbing them perturbs the model.
#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;
using V = std::vector<Tensor>;

namespace {
V with_params(Tensor x, const Module& m) {
    V in{std::move(x)};
    for (const Tensor& p : m.parameters()) in.push_back(p);
    return in;
}

void check_layer(Recurrent& layer, const std::vector<std::size_t>& lengths) {
    Tensor x = rnd({6, 3, layer.input_size()}, 17);  // T = 6, B = 3
    auto r = gradcheck(
        [&](const V& in) {
            SequenceOutput o = layer.forward(in[0], lengths);
            Tensor loss = sum(o.output * o.output) + sum(o.h_n());
            if (o.final_states[0].size() > 1) loss = loss + sum(o.c_n() * o.c_n());
            return loss;
        },
        with_params(x, layer));
    INFO(r.report);
    CHECK(r.ok);
    CHECK(r.checked == x.numel() + layer.num_parameters());
}
}  // namespace

TEST_CASE("gradcheck: every cell over a padded sequence (T=6, B=3)", "[gradcheck][nn]") {
    const std::vector<std::size_t> lengths = {6, 2, 4};
    Generator g(5);
    SECTION("RNN tanh") {
        RNN l(3, 4, {}, Nonlinearity::Tanh, g);
        check_layer(l, lengths);
    }
    SECTION("RNN relu") {
        RNN l(3, 4, {}, Nonlinearity::ReLU, g);
        check_layer(l, lengths);
    }
    SECTION("LSTM") {
        LSTM l(3, 4, {}, true, g);
        check_layer(l, lengths);
    }
    SECTION("GRU") {
        GRU l(3, 4, {}, g);
        check_layer(l, lengths);
    }
}

TEST_CASE("gradcheck: 2-layer bidirectional LSTM with lengths, batch-first", "[gradcheck][nn]") {
    Generator g(6);
    RecurrentOptions o;
    o.num_layers(2);
    o.bidirectional(true);
    o.batch_first(true);
    LSTM l(3, 3, o, false, g);
    Tensor x = rnd({2, 5, 3}, 18);  // [B, T, F]
    auto r = gradcheck(
        [&](const V& in) {
            SequenceOutput out = l.forward(in[0], {5, 3});
            return sum(tanh(out.output)) + sum(out.h_n() * out.c_n());
        },
        with_params(x, l));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("gradcheck: attention memory made once and used by two decoder steps", "[gradcheck][nn]") {
    Generator g(8);
    Tensor q1 = rnd({2, 4}, 21), q2 = rnd({2, 4}, 22), keys = rnd({2, 5, 4}, 23);
    Tensor mask = Tensor::from({1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, make_shape({2, 5}));
    for (Score s : {Score::Dot, Score::General, Score::Additive}) {
        Attention att(s, 4, 4, 3, g);
        V in{q1, q2, keys};
        for (const Tensor& p : att.parameters()) in.push_back(p);
        auto r = gradcheck(
            [&](const V& x) {
                AttentionMemory m = att.memory(x[2], mask);  // W_k a_s once, its gradient from both steps
                AttentionResult a = att(x[0], m), b = att(x[1] * a.context, m);
                return sum(b.context * b.context) + sum(a.weights * b.weights);
            },
            in);
        INFO("score kind " << int(s) << "\n" << r.report);
        CHECK(r.ok);
    }
}

TEST_CASE("gradcheck: dot, general and additive attention with a padding mask", "[gradcheck][nn]") {
    Generator g(7);
    Tensor q = rnd({2, 4}, 19), keys = rnd({2, 5, 4}, 20);
    Tensor mask = Tensor::from({1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, make_shape({2, 5}));
    for (Score s : {Score::Dot, Score::General, Score::Additive}) {
        Attention att(s, 4, 4, 3, g);
        V in{q, keys};
        for (const Tensor& p : att.parameters()) in.push_back(p);
        auto r = gradcheck(
            [&](const V& x) {
                AttentionResult a = att(x[0], x[1], mask);
                return sum(a.context * a.context) + sum(a.weights * Tensor::from({1, 2, 3, 4, 5}, make_shape({5})));
            },
            in);
        INFO("score kind " << int(s) << "\n" << r.report);
        CHECK(r.ok);
    }
}

TEST_CASE("gradcheck: a Transformer encoder-decoder over whole sequences, masks on", "[gradcheck][nn]") {
    Generator g(9);
    TransformerLayerOptions o;
    o.d_model = 4, o.nhead = 2, o.dim_feedforward = 6, o.dropout = 0;
    for (bool pre : {false, true}) {
        INFO("norm_first " << pre);
        o.norm_first = pre;
        o.activation = pre ? Activation::GELU : Activation::ReLU;
        TransformerEncoder enc(o, 1, true, g);
        TransformerDecoder dec(o, 1, true, g);
        Array pad = xt::zeros<real>({2, 3});
        pad(1, 2) = 1;  // the second source is one shorter
        const Tensor src_pad(pad), causal = MultiheadAttention::causal_mask(4);
        V in{rnd({3, 2, 4}, 3), rnd({4, 2, 4}, 4)};
        for (const Tensor& p : enc.parameters()) in.push_back(p);
        for (const Tensor& p : dec.parameters()) in.push_back(p);
        auto r = gradcheck(
            [&](const V& x) {
                Tensor out = dec(x[1], enc(x[0], Tensor(), src_pad), causal, Tensor(), src_pad);
                return sum(out * out * Tensor(rnd({4, 2, 4}, 5).value()));
            },
            in);
        INFO(r.report);
        CHECK(r.ok);
        CHECK(r.checked == 3 * 2 * 4 + 4 * 2 * 4 + enc.num_parameters() + dec.num_parameters());
    }
}
