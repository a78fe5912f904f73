// SPDX-License-Identifier: MIT
// A cell that moves its input projection into project_inputs gets it run by
// nn::Recurrent as one GEMM over all steps: the same values and gradients as
// a loop that projects each step's input, and one linear node over
// [T, B, in] on the tape instead of T.

#include "helpers.hpp"

using namespace th;

namespace {
// A GRU-like cell written op by op, its input projection hoisted out of the
// step (project_inputs) or made in each step; `computed_weight` makes W_ih a
// computed (non-leaf) tensor.
class PlainCell : public nn::RecurrentCell {
public:
    PlainCell(std::size_t in, std::size_t H, bool computed_weight, std::uint64_t seed, bool hoist = true)
        : RecurrentCell(in, H), computed_(computed_weight), hoist_(hoist) {
        W_ih = rnd({2 * H, in}, seed, -0.5, 0.5), W_hh = rnd({2 * H, H}, seed + 1, -0.5, 0.5);
        b = rnd({2 * H}, seed + 2, -0.5, 0.5);
        register_parameter("W_ih", W_ih);
        register_parameter("W_hh", W_hh);
        register_parameter("b", b);
    }
    Tensor project(const Tensor& x) const { return linear(x, computed_ ? W_ih * real(1.5) : W_ih, b); }
    Tensor project_inputs(const Tensor& xs) const override { return hoist_ ? project(xs) : xs; }
    nn::State step(const Tensor& x, const nn::State& s) const override {
        auto g = chunk((hoist_ ? x : project(x)) + linear(s[0], W_hh), 2, 1);
        Tensor z = sigmoid(g[0]);
        return {z * s[0] + (real(1) - z) * tanh(g[1])};
    }
    Tensor W_ih, W_hh, b;

private:
    bool computed_, hoist_;
};

std::size_t count_nodes(const Tensor& root, const char* op, const Shape& input_shape) {
    return th::count_nodes(root, [&](const TensorImpl& t) {
        return t.op && std::string(t.op) == op && t.inputs[0]->value.shape() == input_shape;
    });
}

// The same cell run by hand, step by step, each step projecting its input.
Tensor unrolled(const PlainCell& cell, const Tensor& xs) {
    nn::State s = cell.initial_state(xs.size(1));
    std::vector<Tensor> outs;
    for (std::size_t t = 0; t < xs.size(0); ++t) {
        s = cell.forward(select(xs, t), s);
        outs.push_back(s[0]);
    }
    return stack(outs, 0);
}
}  // namespace

TEST_CASE("Recurrent runs a cell's input projection as one GEMM with the step-by-step values and gradients",
          "[nn][hoist]") {
    const std::size_t T = 6, B = 2, I = 3, H = 4;
    for (bool computed : {false, true}) {
        INFO("computed weight: " << computed);
        nn::Recurrent layer([&](std::size_t in) { return std::make_unique<PlainCell>(in, H, computed, 80); }, I);
        const auto& cell = dynamic_cast<const PlainCell&>(layer.cell(0));
        Tensor xs = rnd({T, B, I}, 81), w = rnd({T, B, H}, 82, -1, 1, false);

        Tensor y = layer.forward(xs).output;
        const Shape step_in{B, I}, all_in{T, B, I};
        CHECK(count_nodes(y, "linear", all_in) == 1);
        CHECK(count_nodes(y, "linear", step_in) == 0);
        sum(y * w).backward();
        const Array dx = xs.grad(), dW = cell.W_ih.grad(), dU = cell.W_hh.grad(), db = cell.b.grad();
        for (Tensor p : {xs, cell.W_ih, cell.W_hh, cell.b}) p.zero_grad();

        Tensor y_ref = unrolled(cell, xs);
        CHECK(count_nodes(y_ref, "linear", step_in) == T);
        CHECK(close(y.value(), y_ref.value(), kValueTol));
        sum(y_ref * w).backward();
        CHECK(close(dx, xs.grad(), kValueTol));
        CHECK(close(dW, cell.W_ih.grad(), kValueTol));
        CHECK(close(dU, cell.W_hh.grad(), kValueTol));
        CHECK(close(db, cell.b.grad(), kValueTol));
    }
}

TEST_CASE("gradcheck: a hoisted cell over a padded bidirectional sequence", "[nn][hoist][gradcheck]") {
    nn::RecurrentOptions o;
    o.bidirectional(true);
    nn::Recurrent layer([](std::size_t in) { return std::make_unique<PlainCell>(in, 3, false, 90); }, 2, o);
    Tensor xs = rnd({5, 3, 2}, 91);
    std::vector<Tensor> in{xs};
    for (Tensor p : layer.parameters()) in.push_back(p);
    auto r = gradcheck(
        [&](const std::vector<Tensor>& v) {
            nn::SequenceOutput out = layer.forward(v[0], {5, 3, 4});
            return sum(out.output * out.output) + sum(out.h_n());
        },
        in);
    INFO(r.report);
    CHECK(r.ok);
    CHECK(r.checked == xs.numel() + layer.num_parameters());
}

TEST_CASE("a step's linear with the wrong weight names the step's shapes", "[nn][hoist][errors]") {
    class BadCell : public nn::RecurrentCell {
    public:
        BadCell() : RecurrentCell(3, 2) { W = rnd({2, 5}, 95); }
        nn::State step(const Tensor& x, const nn::State& s) const override { return {linear(x, W) + s[0]}; }
        Tensor W;
    };
    nn::Recurrent layer([](std::size_t) { return std::make_unique<BadCell>(); }, 3);
    CHECK_THROWS_WITH(layer.forward(rnd({4, 2, 3}, 96)),
                      Catch::Contains("linear: input [2, 3] does not end in the weight's in-features 5"));
}
