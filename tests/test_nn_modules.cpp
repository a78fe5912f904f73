// SPDX-License-Identifier: MIT
// Modules, layers and initialisers: names, modes, shapes, masking semantics,
// user-defined cells, errors.
#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;

TEST_CASE("built-in layers use PyTorch's parameter names", "[nn]") {
    RecurrentOptions o;
    o.num_layers(2);
    o.bidirectional(true);
    LSTM lstm(3, 4, o);
    std::vector<std::string> names;
    for (const auto& [n, p] : lstm.named_parameters()) names.push_back(n);
    CHECK(names.size() == 16);
    CHECK(names[0] == "weight_ih_l0");
    CHECK(names[4] == "weight_ih_l0_reverse");
    CHECK(names[15] == "bias_hh_l1_reverse");
    CHECK(lstm.cell(1, true).weight_ih.shape() == make_shape({16, 8}));  // layer 1 sees both directions
    CHECK(lstm.num_parameters() == 2 * (16 * 3 + 16 * 4 + 32) + 2 * (16 * 8 + 16 * 4 + 32));
}

namespace {
struct TinyLM : Module {
    Embedding emb{10, 4};
    GRU rnn{4, 4};
    Linear out{4, 10};
    TinyLM() {
        register_module("emb", emb);
        register_module("rnn", rnn);
        register_module("out", out);
        out.weight = emb.weight;  // weight tying: [10, 4] both
    }
};
}  // namespace

TEST_CASE("submodules nest their names, and tied weights are listed once and get both gradients", "[nn]") {
    TinyLM m;
    auto named = m.named_parameters();
    CHECK(named.front().first == "emb.weight");
    CHECK(named[1].first == "rnn.weight_ih_l0");
    CHECK(named.back().first == "out.bias");
    CHECK(m.parameters().size() == 1 + 4 + 1);  // out.weight is emb.weight
    IndexArray ids = {{1, 2}, {3, 4}};
    Tensor logits = m.out(m.rnn.forward(m.emb(ids)).output);
    IndexArray targets = {{2, 3}, {4, 5}};
    cross_entropy(logits, targets).backward();
    // the shared table gets the embedding rows' and the output layer's gradient
    CHECK(m.emb.weight.has_grad());
    CHECK(m.emb.weight.grad()(9, 0) != 0);  // row 9: only the output layer touches it
    m.zero_grad();
    CHECK_FALSE(m.emb.weight.has_grad());
}

TEST_CASE("train() and eval() reach dropout inside stacked layers", "[nn]") {
    RecurrentOptions o;
    o.num_layers(2);
    o.dropout(real(0.5));
    o.seed(1);
    GRU gru(3, 8, o);
    Tensor x = rnd({4, 2, 3}, 1, -1, 1, false);
    gru.eval();
    CHECK_FALSE(gru.is_training());
    Array e1 = gru.forward(x).output.value(), e2 = gru.forward(x).output.value();
    CHECK(close(e1, e2, 0));  // deterministic in eval
    gru.train();
    Array t1 = gru.forward(x).output.value();
    CHECK_FALSE(close(t1, e1, 1e-3));  // dropout between the layers changes the output
}

TEST_CASE("padded steps leave the state alone and output zeros", "[nn]") {
    Generator g(2);
    RecurrentOptions bi;
    bi.bidirectional(true);
    for (int kind = 0; kind < 3; ++kind) {
        std::unique_ptr<Recurrent> l;
        if (kind == 0) l = std::make_unique<RNN>(3, 4, bi, Nonlinearity::Tanh, g);
        if (kind == 1) l = std::make_unique<LSTM>(3, 4, bi, false, g);
        if (kind == 2) l = std::make_unique<GRU>(3, 4, bi, g);
        Tensor x = rnd({5, 2, 3}, 3, -1, 1, false);
        SequenceOutput padded = l->forward(x, {5, 3});
        // sequence 1 alone, 3 steps, no padding at all
        Tensor x1 = slice(slice(x, 0, 0, 3), 1, 1, 2);
        SequenceOutput alone = l->forward(x1);
        INFO("kind " << kind);
        for (std::size_t t = 0; t < 3; ++t)
            for (std::size_t j = 0; j < 8; ++j) CHECK(padded.output.at({t, 1, j}) == Approx(alone.output.at({t, 0, j})));
        for (std::size_t t = 3; t < 5; ++t)
            for (std::size_t j = 0; j < 8; ++j) CHECK(padded.output.at({t, 1, j}) == 0);
        for (std::size_t d = 0; d < 2; ++d)  // both directions end where sequence 1 really ends
            for (std::size_t j = 0; j < 4; ++j)
                CHECK(padded.h_n().at({d, 1, j}) == Approx(alone.h_n().at({d, 0, j})));
    }
}

TEST_CASE("batch_first gives the same numbers transposed", "[nn]") {
    Generator g1(4), g2(4);
    RecurrentOptions bf;
    bf.batch_first(true);
    GRU a(3, 4, {}, g1), b(3, 4, bf, g2);
    Tensor x = rnd({5, 2, 3}, 5, -1, 1, false);
    Tensor ya = a.forward(x).output, yb = b.forward(transpose(x, 0, 1)).output;
    CHECK(close(transpose(yb, 0, 1).value(), ya.value(), 1e-6));
}

namespace {
// A cell that exists nowhere else: a minimal gated unit,
//     f = sigma(W_f [x, h] + b_f),  h_t = f * h_{t-1} + (1 - f) * tanh(W x)
// ten lines of forward code, no gradient code.
class MinimalGatedCell : public RecurrentCell {
public:
    MinimalGatedCell(std::size_t in, std::size_t H, Generator& gen) : RecurrentCell(in, H) {
        W_f = default_param(make_shape({H, in + H}), gen);
        b_f = default_param(make_shape({H}), gen);
        W = default_param(make_shape({H, in}), gen);
        register_parameter("W_f", W_f);
        register_parameter("b_f", b_f);
        register_parameter("W", W);
    }
    State step(const Tensor& x, const State& s) const override {
        Tensor f = sigmoid(linear(concat({x, s[0]}, 1), W_f, b_f));
        return {f * s[0] + (real(1) - f) * tanh(linear(x, W))};
    }
    Tensor W_f, b_f, W;
};
}  // namespace

TEST_CASE("a user-defined cell plugs into the sequence layer, bidirectional, with lengths", "[nn]") {
    Generator g(8);
    RecurrentOptions o;
    o.num_layers(2);
    o.bidirectional(true);
    Recurrent layer([&](std::size_t in) { return std::make_unique<MinimalGatedCell>(in, 3, g); }, 2, o);
    CHECK(layer.named_parameters().front().first == "W_f_l0");
    Tensor x = rnd({5, 2, 2}, 9);
    std::vector<Tensor> in{x};
    for (const Tensor& p : layer.parameters()) in.push_back(p);
    auto r = gradcheck([&](const std::vector<Tensor>& v) { return sum(layer.forward(v[0], {5, 4}).output); }, in);
    INFO(r.report);
    CHECK(r.ok);
    CHECK(layer.forward(x).output.shape() == make_shape({5, 2, 6}));
}

TEST_CASE("attention weights sum to one, skip padding, and point at the matching key", "[nn]") {
    Attention att(Score::Dot, 3, 3);
    Tensor keys = Tensor::from({10, 0, 0, 0, 10, 0, 0, 0, 10, /*b1*/ 0, 10, 0, 10, 0, 0, 0, 0, 10}, make_shape({2, 3, 3}));
    Tensor q = Tensor::from({0, 1, 0, 0, 1, 0}, make_shape({2, 3}));
    Tensor mask = Tensor::from({1, 1, 1, 1, 1, 0}, make_shape({2, 3}));
    AttentionResult r = att(q, keys, mask);
    CHECK(r.weights.shape() == make_shape({2, 3}));
    CHECK(r.weights.at({0, 1}) > 0.99);  // key 1 of batch 0 matches the query
    CHECK(r.weights.at({1, 0}) > 0.99);
    CHECK(r.weights.at({1, 2}) == 0);  // padded
    CHECK(sum(r.weights, 1).at({1}) == Approx(1));
    CHECK(r.context.at({0, 1}) == Approx(10).epsilon(1e-3));
}

TEST_CASE("attention through a memory equals attention on the keys for every score kind", "[nn]") {
    Generator g(9);
    Tensor q = rnd({3, 4}, 31), keys = rnd({3, 6, 5}, 32);
    Tensor mask = Tensor::from({1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0}, make_shape({3, 6}));
    for (Score s : {Score::General, Score::Additive}) {
        Attention att(s, 4, 5, 7, g);
        AttentionMemory m = att.memory(keys, mask);
        CHECK(m.projected.defined() == (s == Score::Additive));
        AttentionResult a = att(q, m), b = att(q, keys, mask);
        CHECK(close(a.context.value(), b.context.value(), kValueTol));
        CHECK(close(a.weights.value(), b.weights.value(), kValueTol));
        CHECK(a.weights.at({1, 3}) == 0);  // padded
    }
    // a memory from a module of another kind or size is refused, by name
    Attention add(Score::Additive, 4, 5, 7, g), dot(Score::Dot, 5, 5, 0, g), add3(Score::Additive, 4, 5, 3, g);
    require_throws_with<ValueError>([&] { add(q, dot.memory(keys)); }, {"Attention", "projected keys", "[3, 6, 7]", "none"});
    require_throws_with<ValueError>([&] { add(q, add3.memory(keys)); }, {"Attention", "[3, 6, 7]", "[3, 6, 3]"});
    require_throws_with<ValueError>([&] { add(q, AttentionMemory{}); }, {"Attention", "no keys"});
    require_throws_with<ShapeError>([&] { add.memory(keys, rnd({3, 5}, 1)); }, {"Attention", "mask", "[3, 5]", "[3, 6]"});
}

TEST_CASE("Seq2Seq beam search follows the decoder step for dot and additive scores", "[train]") {
    // The beam repeats the source memory (and the additive scores' projected
    // keys) once per live hypothesis; with one, it must follow greedy.
    for (Score s : {Score::Dot, Score::Additive}) {
        Generator g(12);
        train::Seq2SeqOptions o;
        o.src_vocab = 9, o.tgt_vocab = 7, o.embed = 5, o.encoder_hidden = 4, o.decoder_hidden = 8, o.score = s;
        o.attention_size = 6;
        train::Seq2Seq model(o, g);
        const std::vector<Index> src = {3, 5, 2, 8, 4};
        IndexArray ids = IndexArray::from_shape({src.size(), 1});
        for (std::size_t k = 0; k < src.size(); ++k) ids(k, 0) = src[k];
        std::vector<train::Decoded> greedy = model.greedy(ids, {src.size()}, 1, 2, 6);
        std::vector<train::Decoded> beam = model.beam(src, 1, 2, 1, 6);
        INFO("score kind " << int(s));
        REQUIRE(greedy.size() == 1);
        REQUIRE_FALSE(beam.empty());
        CHECK(beam[0].tokens == greedy[0].tokens);
        REQUIRE(beam[0].attention.size() == greedy[0].attention.size());
        for (std::size_t t = 0; t < beam[0].attention.size(); ++t)
            for (std::size_t k = 0; k < src.size(); ++k)
                CHECK(beam[0].attention[t][k] == Approx(greedy[0].attention[t][k]).margin(1e-6));
        // width 3: several live hypotheses share one repeated memory; each
        // one's attention equals a replay of its tokens on the source alone
        for (const train::Decoded& d : model.beam(src, 1, 2, 3, 6)) {
            train::Seq2Seq::Encoded e = model.encode(ids, {src.size()});
            Tensor h = e.h0, context = Tensor::zeros(make_shape({1, 2 * o.encoder_hidden}));
            IndexArray prev = {1};
            for (std::size_t t = 0; t < d.attention.size(); ++t) {
                train::Seq2Seq::Step st = model.step(e, prev, h, context);
                for (std::size_t k = 0; k < src.size(); ++k)
                    CHECK(d.attention[t][k] == Approx(st.weights.value()(0, k)).margin(1e-6));
                h = st.h, context = st.context, prev = {d.tokens[t]};
            }
        }
    }
}

TEST_CASE("initialisers: seeded, orthogonal, Xavier bounds, forget-gate bias", "[nn][init]") {
    Tensor a = Tensor::zeros(make_shape({6, 4})), b = Tensor::zeros(make_shape({6, 4}));
    Generator g1(11), g2(11);
    init::orthogonal_(a, 1, g1);
    init::orthogonal_(b, 1, g2);
    CHECK(close(a.value(), b.value(), 0));  // same seed, same matrix
    for (std::size_t i = 0; i < 4; ++i)  // columns orthonormal: A^T A = I
        for (std::size_t j = 0; j < 4; ++j) {
            double d = 0;
            for (std::size_t k = 0; k < 6; ++k) d += a.at({k, i}) * a.at({k, j});
            CHECK(d == Approx(i == j ? 1.0 : 0.0).margin(1e-5));
        }
    Tensor wide = Tensor::zeros(make_shape({3, 7}));
    init::orthogonal_(wide, 2, g1);  // rows orthogonal with norm 2
    double n0 = 0;
    for (std::size_t k = 0; k < 7; ++k) n0 += wide.at({0, k}) * wide.at({0, k});
    CHECK(n0 == Approx(4).epsilon(1e-5));
    Tensor x = Tensor::zeros(make_shape({50, 30}));
    init::xavier_uniform_(x, 1, g1);
    const double bound = std::sqrt(6.0 / 80);
    CHECK(xt::amax(xt::abs(x.value()))() <= bound);
    CHECK(xt::amax(xt::abs(x.value()))() > 0.9 * bound);
    LSTMCell cell(3, 2, true, g1);
    CHECK(cell.bias_ih.at({2}) == 1);
    CHECK(cell.bias_ih.at({3}) == 1);
    CHECK(cell.bias_hh.at({2}) == 0);
}

TEST_CASE("layers report bad input with shapes", "[nn][errors]") {
    LSTM lstm(3, 4);
    require_throws_with<ShapeError>([&] { lstm.forward(rnd({5, 2, 7}, 1)); }, {"Recurrent", "[5, 2, 7]", "3"});
    require_throws_with<ValueError>([&] { lstm.forward(rnd({5, 2, 3}, 1), {5, 6}); }, {"length 6", "sequence 1", "5"});
    require_throws_with<ValueError>([&] { lstm.forward(rnd({5, 2, 3}, 1), {5}); }, {"1 lengths", "batch of 2"});
    require_throws_with<ValueError>([&] { lstm.forward(rnd({0, 2, 3}, 1)); }, {"empty sequence"});
    LSTMCell cell(3, 4);
    State bad{Tensor::zeros(make_shape({2, 5})), Tensor::zeros(make_shape({2, 4}))};
    require_throws_with<ShapeError>([&] { cell(rnd({2, 3}, 1), bad); }, {"LSTMCell", "[2, 5]", "hidden 4"});
    require_throws_with<ShapeError>([&] { cell(rnd({2, 3}, 1), {bad[1]}); }, {"LSTMCell", "2 state", "got 1"});
    // the same checks when the layer runs the cell (step, on the projected inputs)
    require_throws_with<ShapeError>([&] { lstm.forward(rnd({5, 2, 3}, 1), RecurrentArgs().initial({bad})); }, {"LSTMCell", "[2, 5]", "hidden 4"});
    require_throws_with<ShapeError>([&] { lstm.forward(rnd({5, 3, 3}, 1), RecurrentArgs().initial({{bad[1], bad[1]}})); },
                                    {"LSTMCell", "[2, 4]", "batch 3"});
    Linear lin(3, 2);
    require_throws_with<ShapeError>([&] { lin(rnd({4, 5}, 1)); }, {"linear", "[4, 5]", "3"});
    require_throws_with<ValueError>([&] { Embedding(0, 3); }, {"Embedding", "positive"});
    Attention att(Score::General, 4, 6);
    require_throws_with<ShapeError>([&] { att(rnd({2, 4}, 1), rnd({2, 5, 4}, 2)); }, {"Attention", "keys", "[2, 5, 4]"});
    require_throws_with<ValueError>([&] { Attention(Score::Dot, 3, 4); }, {"dot", "3 and 4"});
}

TEST_CASE("sequence_cross_entropy: sum and mean over the real tokens only", "[nn]") {
    Tensor logits = rnd({3, 2, 5}, 12);
    IndexArray y = {{1, 2}, {3, 0}, {0, 0}};  // 0 is padding: 3 real tokens
    const double total = nn::sequence_cross_entropy(logits, y, 0, Reduction::Sum).item();
    const double mean = nn::sequence_cross_entropy(logits, y, 0).item();
    CHECK(mean == Approx(total / 3));
    Tensor per = cross_entropy(logits, y, 0, Reduction::None);
    CHECK(per.at({1, 0}) + per.at({0, 0}) + per.at({0, 1}) == Approx(total));
    require_throws_with<ShapeError>([&] { nn::sequence_cross_entropy(rnd({6, 5}, 1), IndexArray{1, 2, 3, 4, 0, 1}); },
                                    {"sequence_cross_entropy", "[6, 5]"});
}
