// fused: user-written elementwise ops, differentiated by dual numbers.
#include <ops/fused.hpp>

#include "helpers.hpp"

using namespace th;

namespace {
// The LSTM cell state, once as a fused op and once as ops.
auto cell_state = [](auto i, auto f, auto g, auto c) { return sigmoid(f) * c + sigmoid(i) * tanh(g); };
Tensor cell_state_ops(const Tensor& i, const Tensor& f, const Tensor& g, const Tensor& c) {
    return sigmoid(f) * c + sigmoid(i) * tanh(g);
}
}  // namespace

TEST_CASE("fused computes what the same formula as ops computes, tails included", "[fused]") {
    for (const Shape& s : {make_shape({3, 7}), make_shape({32, 128}), make_shape({1}), make_shape({2, 0})}) {
        Tensor i = rnd(s, 1, -3, 3), f = rnd(s, 2, -3, 3), g = rnd(s, 3, -3, 3), c = rnd(s, 4, -3, 3);
        Tensor a = fused("cell_state", cell_state, i, f, g, c);
        Tensor b = cell_state_ops(i, f, g, c);
        CHECK(a.shape() == s);
        CHECK(close(a.value(), b.value(), kValueTol));
        if (a.numel() == 0) continue;
        sum(a).backward();
        const Array di = i.grad(), dc = c.grad();
        for (Tensor* t : {&i, &f, &g, &c}) t->zero_grad();
        sum(b).backward();
        CHECK(close(di, i.grad(), kValueTol));
        CHECK(close(dc, c.grad(), kValueTol));
        CHECK(std::string(a.op_name()) == "cell_state");
    }
}

TEST_CASE("gradcheck: fused, every function and number placement", "[fused][gradcheck]") {
    using V = std::vector<Tensor>;
    Tensor i = rnd({3, 7}, 11), f = rnd({3, 7}, 12), g = rnd({3, 7}, 13), c = rnd({3, 7}, 14);
    CHECK_GRADS([](const V& in) { return fused("cell_state", cell_state, in[0], in[1], in[2], in[3]); }, i, f, g, c);
    Tensor p = rnd({5, 5}, 15, 0.5, 2), q = rnd_away_from_zero({5, 5}, 16);
    CHECK_GRADS(
        [](const V& in) {
            return fused("zoo", [](auto a, auto b) {
                return exp(a) * b - log(a) / 2 + sqrt(a) * relu(b) + 1 / a - (-b) / (a + 3) + 2 * b - b * 0.5;
            }, in[0], in[1]);
        },
        p, q);
    // the GRU update: h' = (1 - z) n + z h
    Tensor z = rnd({4, 9}, 17), n = rnd({4, 9}, 18), h = rnd({4, 9}, 19);
    CHECK_GRADS(
        [](const V& in) {
            return fused("gru_mix", [](auto z, auto n, auto h) { return (1 - sigmoid(z)) * tanh(n) + sigmoid(z) * h; },
                         in[0], in[1], in[2]);
        },
        z, n, h);
}

TEST_CASE("fused adds both shares when one tensor is given twice, and skips inputs without grad", "[fused]") {
    Tensor x = rnd({4, 5}, 21);
    Tensor k = rnd({4, 5}, 22, -1, 1, /*requires_grad=*/false);
    sum(fused("square_plus", [](auto a, auto b, auto s) { return a * b + s; }, x, x, k)).backward();
    CHECK(close(x.grad(), 2 * x.value(), kValueTol));
    CHECK_FALSE(k.has_grad());
    // a gradient already there is added to, not overwritten
    sum(fused("twice", [](auto a) { return 2 * a; }, x)).backward();
    CHECK(close(x.grad(), 2 * x.value() + 2, kValueTol));
}

TEST_CASE("fused gives the same bits on one thread and on several", "[fused]") {
    Tensor a = rnd({1001, 37}, 31, -4, 4), b = rnd({1001, 37}, 32, -4, 4);
    auto run = [&](std::size_t threads) {
        set_num_threads(threads);
        a.zero_grad();
        Tensor y = fused("mix", [](auto u, auto v) { return tanh(u) * sigmoid(v) + exp(-u * u); }, a, b);
        sum(y).backward();
        return std::make_pair(Array(y.value()), Array(a.grad()));
    };
    const std::size_t before = num_threads();
    const auto one = run(1), two = run(2);
    set_num_threads(before);
    CHECK(one.first == two.first);
    CHECK(one.second == two.second);
}

TEST_CASE("fused reads blocks of a tensor in place, and their gradients land in place", "[fused]") {
    // an LSTM step's elementwise part from one [B, 4H] gates tensor
    Tensor gates = rnd({5, 4 * 6}, 51, -2, 2), c = rnd({5, 6}, 52);
    auto h_of = [](auto o, auto c) { return sigmoid(o) * tanh(c); };
    Tensor c1 = fused("c", cell_state, block(gates, 0, 4), block(gates, 1, 4), block(gates, 2, 4), c);
    Tensor h1 = fused("h", h_of, block(gates, 3, 4), c1);
    sum(h1 * real(0.7) + c1).backward();
    const Array dgates = gates.grad(), dc = c.grad();
    gates.zero_grad();
    c.zero_grad();
    auto g = chunk(gates, 4, 1);
    Tensor c2 = cell_state_ops(g[0], g[1], g[2], c);
    Tensor h2 = sigmoid(g[3]) * tanh(c2);
    sum(h2 * real(0.7) + c2).backward();
    CHECK(close(h1.value(), h2.value(), kValueTol));
    CHECK(close(dgates, gates.grad(), kValueTol));
    CHECK(close(dc, c.grad(), kValueTol));

    using V = std::vector<Tensor>;
    CHECK_GRADS(
        [](const V& in) {
            Tensor c = fused("c", cell_state, block(in[0], 0, 4), block(in[0], 1, 4), block(in[0], 2, 4), in[1]);
            return fused("h", [](auto o, auto c) { return sigmoid(o) * tanh(c); }, block(in[0], 3, 4), c);
        },
        gates, c);
    // two blocks of one tensor, the later one first: [3, 2] blocks of [3, 4]
    Tensor w = rnd({3, 4}, 53), u = rnd({3, 2}, 54);
    CHECK_GRADS([](const V& in) { return fused("mix", [](auto a, auto b, auto u) { return a * b * u; },
                                               block(in[0], 1, 2), block(in[0], 0, 2), in[1]); },
                w, u);
}

TEST_CASE("fused repeats a [H] vector for every row, and sums its gradient over the rows", "[fused]") {
    // a peephole gate: sigma(a + w * c) with a per-unit weight w
    Tensor a = rnd({6, 5}, 61), w = rnd({5}, 62), c = rnd({6, 5}, 63);
    auto peep = [](auto a, auto w, auto c) { return sigmoid(a + w * c); };
    Tensor y1 = fused("peep", peep, a, w, c);
    sum(y1 * y1).backward();
    const Array dw = w.grad(), da = a.grad();
    for (Tensor* t : {&a, &w, &c}) t->zero_grad();
    Tensor y2 = sigmoid(a + w * c);  // broadcasting ops
    sum(y2 * y2).backward();
    CHECK(close(y1.value(), y2.value(), kValueTol));
    CHECK(close(dw, w.grad(), kValueTol));
    CHECK(close(da, a.grad(), kValueTol));
    using V = std::vector<Tensor>;
    CHECK_GRADS([](const V& in) {
        return fused("peep", [](auto a, auto w, auto c) { return sigmoid(a + w * c); }, in[0], in[1], in[2]);
    }, a, w, c);
    // first, and next to blocks
    Tensor g = rnd({3, 8}, 64), v = rnd({4}, 65);
    CHECK_GRADS([](const V& in) {
        return fused("mix", [](auto v, auto p, auto q) { return v * tanh(p) - q; }, in[1], block(in[0], 0, 2),
                     block(in[0], 1, 2));
    }, g, v);
}

TEST_CASE("fused rejects inputs of different shapes, naming the op and the shapes", "[fused][errors]") {
    Tensor a = rnd({2, 3}, 41), b = rnd({3, 2}, 42);
    require_throws_with<Error>([&] { fused("my_op", [](auto x, auto y) { return x * y; }, a, b); },
                               {"my_op", "[2, 3]", "[3, 2]", "one shape"});
    Tensor r = rnd({4}, 43);
    require_throws_with<Error>([&] { fused("my_op", [](auto x, auto y) { return x * y; }, a, r); },
                               {"my_op", "[2, 3]", "[4]", "[3] rows to repeat"});
    require_throws_with<ValueError>([&] { fused("my_op", [](auto x) { return x; }, block(a, 0, 2)); },
                                    {"my_op", "block 0 of 2", "[2, 3]", "2 equal blocks"});
    require_throws_with<Error>([&] { fused("my_op", [](auto x, auto y) { return x * y; }, block(b, 1, 2), a); },
                               {"my_op", "block 1 of 2 of [3, 2]", "[2, 3]"});
}

namespace {
// A user's LSTM cell, op by op or fused with its input projection hoisted
// out of the time loop (project_inputs + step_at), as bench/workloads.cpp
// and docs/new_cell.md write it.
class HoistableCell : public nn::RecurrentCell {
public:
    HoistableCell(std::size_t in, std::size_t H, bool hoist, std::uint64_t seed) : RecurrentCell(in, H), hoist_(hoist) {
        W_ih = rnd({4 * H, in}, seed, -0.5, 0.5), W_hh = rnd({4 * H, H}, seed + 1, -0.5, 0.5);
        b = rnd({4 * H}, seed + 2, -0.5, 0.5);
        register_parameter("W_ih", W_ih);
        register_parameter("W_hh", W_hh);
        register_parameter("b", b);
    }
    std::size_t num_states() const override { return 2; }
    Tensor project_inputs(const Tensor& xs) const override { return hoist_ ? linear(xs, W_ih, b) : xs; }
    nn::State step(const Tensor& x, const nn::State& s) const override {
        if (hoist_) return gate_math(linear_add(x, s[0], W_hh), s);
        auto g = chunk(linear(x, W_ih, b) + linear(s[0], W_hh), 4, 1);
        Tensor c = sigmoid(g[1]) * s[1] + sigmoid(g[0]) * tanh(g[2]);
        return {sigmoid(g[3]) * tanh(c), c};
    }
    nn::State step_at(const Tensor& projected, std::size_t t, const nn::State& s) const override {
        if (!hoist_) return RecurrentCell::step_at(projected, t, s);
        return gate_math(linear_add(projected, t, s[0], W_hh), s);
    }
    Tensor W_ih, W_hh, b;

private:
    static nn::State gate_math(const Tensor& gates, const nn::State& s) {
        Tensor c = fused("c", cell_state, block(gates, 0, 4), block(gates, 1, 4), block(gates, 2, 4), s[1]);
        return {fused("h", [](auto o, auto c) { return sigmoid(o) * tanh(c); }, block(gates, 3, 4), c), c};
    }
    bool hoist_;
};
}  // namespace

TEST_CASE("a fused user cell with its input projection hoisted runs a sequence like the op-by-op cell", "[fused][nn]") {
    auto layer = [](bool hoist) {
        return nn::Recurrent([hoist](std::size_t in) { return std::make_unique<HoistableCell>(in, 3, hoist, 71); }, 4);
    };
    nn::Recurrent ops = layer(false), hoisted = layer(true);
    Tensor xs = rnd({5, 2, 4}, 72), w = rnd({5, 2, 3}, 73, -1, 1, false);
    Tensor xs2 = Tensor::from(std::vector<real>(xs.value().begin(), xs.value().end()), xs.shape(), true);
    Tensor y1 = ops.forward(xs).output, y2 = hoisted.forward(xs2).output;
    CHECK(close(y1.value(), y2.value(), kValueTol));
    sum(y1 * w).backward();
    sum(y2 * w).backward();
    CHECK(close(xs.grad(), xs2.grad(), kValueTol));
    auto p1 = ops.parameters(), p2 = hoisted.parameters();
    REQUIRE(p1.size() == p2.size());
    for (std::size_t k = 0; k < p1.size(); ++k) CHECK(close(p1[k].grad(), p2[k].grad(), kValueTol));

    // and the hoisted cell's gradients over the whole unrolled sequence
    nn::Recurrent h = layer(true);
    std::vector<Tensor> in{rnd({5, 2, 4}, 74)};
    for (const Tensor& p : h.parameters()) in.push_back(p);
    auto r = gradcheck([&](const std::vector<Tensor>& x) { return sum(h.forward(x[0]).output * w); }, in);
    INFO(r.report);
    CHECK(r.ok);
}
