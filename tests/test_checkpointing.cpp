// SPDX-License-Identifier: MIT
// Gradient checkpointing: the same gradients as the straight graph (in
// double, to 1e-12), for every recurrent layer and a user cell, with
// lengths, both directions and dropout; randomness inside a segment replays;
// segments nest; the inner graph is not kept; a segment that reads a tensor
// from outside it, or fails when run again, is named.
#include <functional>

#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;

namespace {
struct GatedCell : RecurrentCell {  // a user cell: f = σ(W_f [x; h] + b), h' = f h + (1 − f) tanh(W x)
    Tensor W_f, b_f, W;
    GatedCell(std::size_t in, std::size_t H, Generator& g) : RecurrentCell(in, H) {
        W_f = default_param(make_shape({H, in + H}), g), register_parameter("W_f", W_f);
        b_f = default_param(make_shape({H}), g), register_parameter("b_f", b_f);
        W = default_param(make_shape({H, in}), g), register_parameter("W", W);
    }
    State step(const Tensor& x, const State& s) const override {
        Tensor f = sigmoid(linear(concat({x, s[0]}, 1), W_f, b_f));
        return {f * s[0] + (real(1) - f) * tanh(linear(x, W))};
    }
};

using Make = std::function<std::unique_ptr<Recurrent>(const RecurrentOptions&, Generator&)>;

// loss = sum(output * w) + sum(h_n), and every gradient, for one option set
std::vector<Array> gradients(const Make& make, RecurrentOptions o, const Tensor& x, const std::vector<std::size_t>& lengths) {
    Generator g(3);
    auto layer = make(o, g);
    Tensor xi = Tensor(x.value(), true);
    Tensor w = rnd(make_shape({x.shape()[0], x.shape()[1], layer->hidden_size() * layer->directions()}), 9, -1, 1, false);
    SequenceOutput out = (*layer)(xi, lengths);
    (sum(out.output * w) + sum(out.h_n())).backward();
    std::vector<Array> grads{xi.grad()};
    for (const Tensor& p : layer->parameters()) grads.push_back(p.grad());
    return grads;
}
}  // namespace

TEST_CASE("checkpointed sequence layers give the straight gradients, every cell, lengths, both directions, dropout",
          "[checkpoint_every]") {
    const std::vector<std::pair<std::string, Make>> layers = {
        {"RNN", [](const RecurrentOptions& o, Generator& g) { return std::make_unique<RNN>(3, 4, o, Nonlinearity::Tanh, g); }},
        {"LSTM", [](const RecurrentOptions& o, Generator& g) { return std::make_unique<LSTM>(3, 4, o, false, g); }},
        {"GRU", [](const RecurrentOptions& o, Generator& g) { return std::make_unique<GRU>(3, 4, o, g); }},
        {"user cell", [](const RecurrentOptions& o, Generator& g) {
             return std::make_unique<Recurrent>([&g](std::size_t in) { return std::make_unique<GatedCell>(in, 4, g); }, 3, o);
         }},
    };
    const Tensor x = rnd({7, 3, 3}, 1, -1, 1, false);
    for (const auto& [name, make] : layers)
        for (std::size_t k : {1, 3, 7}) {
            INFO(name << ", checkpoint every " << k);
            const auto o = RecurrentOptions().num_layers(2).bidirectional(true).dropout(real(0.3)).seed(5);
            const auto straight = gradients(make, o, x, {7, 4, 2});
            const auto checkpointed = gradients(make, RecurrentOptions(o).checkpoint_every(k), x, {7, 4, 2});
            REQUIRE(straight.size() == checkpointed.size());
            for (std::size_t i = 0; i < straight.size(); ++i) CHECK(close(checkpointed[i], straight[i], kDouble ? 1e-12 : 1e-5));
        }
}

TEST_CASE("checkpoint(): dropout inside a segment replays the same mask, and segments nest", "[checkpoint_every]") {
    Tensor x = rnd({4, 5}, 1), W = rnd({5, 5}, 2);
    auto body = [W](const Tensor& in, Generator& gen) { return tanh(matmul(dropout(in, 0.5, true, gen), W)); };
    Generator g1(11), g2(11);
    Tensor plain = sum(body(body(x, g1), g1));
    plain.backward();
    const Array dx = x.grad(), dW = W.grad();
    x.zero_grad(), W.zero_grad();
    // two segments, the second inside the first
    auto inner = [W, &g2, body](const std::vector<Tensor>& in) { return std::vector<Tensor>{body(in[0], g2)}; };
    auto outer = [&g2, body, inner](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{checkpoint(inner, {body(in[0], g2)}, "inner", {&g2})[0]};
    };
    Tensor twice = sum(checkpoint(outer, {x}, "outer", {&g2})[0]);
    CHECK(twice.item() == Approx(plain.item()).epsilon(1e-12));
    twice.backward();
    CHECK(close(x.grad(), dx, kDouble ? 1e-12 : 1e-5));
    CHECK(close(W.grad(), dW, kDouble ? 1e-12 : 1e-5));
    // the program's generator goes on from where the first forward left it
    CHECK(g2.next() == g1.next());
}

TEST_CASE("checkpoint(): the inner graph is not kept", "[checkpoint_every]") {
    Generator g(1);
    LSTM straight(4, 8, {}, false, g), one_segment(4, 8, RecurrentOptions().checkpoint_every(100), false, g);
    const Tensor x = rnd({100, 2, 4}, 2);
    const std::size_t kept_straight = graph_size(sum(straight(x).output));
    const std::size_t kept_segmented = graph_size(sum(one_segment(x).output));
    INFO(kept_straight << " nodes kept straight, " << kept_segmented << " with the 100 steps as one segment");
    CHECK(kept_straight >= 200);   // a few nodes per step
    CHECK(kept_segmented <= 15);   // the segment's node, its views, the slice it reads: none per step
}

TEST_CASE("checkpoint(): a tensor from outside the segment, and a failure when run again, are named",
          "[checkpoint_every][errors]") {
    Tensor x = rnd({3}, 1), outside = softmax(rnd({3}, 2));
    require_throws_with<GraphError>(
        [&] { checkpoint([outside](const std::vector<Tensor>& in) { return std::vector<Tensor>{in[0] * outside}; }, {x}, "seg A"); },
        {"checkpoint 'seg A'", "'softmax'", "not among its inputs"});
    int calls = 0;
    auto flaky = [&calls](const std::vector<Tensor>& in) {
        if (++calls > 1) throw ValueError("the data went away");
        return std::vector<Tensor>{in[0] * in[0]};
    };
    Tensor y = sum(checkpoint(flaky, {x}, "seg B")[0]);
    require_throws_with<GraphError>([&] { y.backward(); }, {"checkpoint 'seg B'", "recomputing", "the data went away"});
}

TEST_CASE("checkpointed_loss: a whole char-LM step in segments gives the straight loss and gradients", "[checkpoint_every]") {
    Generator g(4);
    Embedding emb(7, 3, -1, g);
    LSTM lstm(3, 5, {}, false, g);
    Linear out(5, 7, true, g);
    const std::size_t T = 11, B = 2;
    IndexArray x = IndexArray::from_shape({T, B}), y = IndexArray::from_shape({T, B});
    for (std::size_t k = 0; k < x.size(); ++k) x.data()[k] = Index((k * 3) % 7), y.data()[k] = Index((k * 5 + 1) % 7);
    std::vector<Tensor> params = emb.parameters();
    for (auto* m : {static_cast<Module*>(&lstm), static_cast<Module*>(&out)})
        for (const Tensor& p : m->parameters()) params.push_back(p);
    auto grads = [&] {
        std::vector<Array> gs;
        for (Tensor& p : params) gs.push_back(p.grad()), p.zero_grad();
        return gs;
    };
    const Tensor straight = cross_entropy(out(lstm(emb(x)).output), y, -100, Reduction::Sum);
    straight.backward();
    const auto expect = grads();
    auto segment = [&](std::size_t t0, std::size_t t1, const std::vector<Tensor>& st) {
        IndexArray xs = IndexArray::from_shape({t1 - t0, B}), ys = IndexArray::from_shape({t1 - t0, B});
        std::copy(x.data() + t0 * B, x.data() + t1 * B, xs.data());
        std::copy(y.data() + t0 * B, y.data() + t1 * B, ys.data());
        SequenceOutput o = lstm(emb(xs), RecurrentArgs().initial({State(st)}));
        std::vector<Tensor> r{cross_entropy(out(o.output), ys, -100, Reduction::Sum)};
        for (const Tensor& s : o.final_states[0]) r.push_back(s);
        return r;
    };
    const Tensor zero = Tensor::zeros(make_shape({B, 5}));
    for (std::size_t k : {1, 4, 11}) {
        INFO("segments of " << k);
        const Tensor segmented = checkpointed_loss(T, k, {zero, zero}, segment)[0];
        CHECK(segmented.item() == Approx(straight.item()).epsilon(kDouble ? 1e-12 : 1e-5));
        segmented.backward();
        const auto got = grads();
        for (std::size_t i = 0; i < got.size(); ++i) CHECK(close(got[i], expect[i], kDouble ? 1e-12 : 1e-5));
    }
}
