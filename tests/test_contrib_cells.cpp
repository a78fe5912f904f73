// SPDX-License-Identifier: MIT
// The cells of cells/ (minGRU, minLSTM, sLSTM), written as forward code
// only: the sequential and the parallel (log-space scan) forms agree in
// values and gradients, padding included; gradient checks over whole
// unrolled sequences; sLSTM stays finite where its exponential gates would
// overflow without the stabiliser.
#include <cmath>

#include <cells/min_gru.hpp>
#include <cells/slstm.hpp>

#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;
using namespace tapegrad::cells;
using V = std::vector<Tensor>;

namespace {
// 1e-8 in double; in float the two forms round differently (the scan's
// running sums reach hundreds at T = 200), so float checks only that they
// agree to its precision
constexpr double kAgree = kDouble ? 1e-8 : 1e-2;

template <class Cell>
void forms_agree(std::size_t T, const std::vector<std::size_t>& lengths, std::uint64_t seed) {
    Generator g(seed);
    const std::size_t B = lengths.empty() ? 3 : lengths.size(), in = 4, H = 5;
    Recurrent seq([&](std::size_t i) { return std::make_unique<Cell>(i, H, g); }, in);
    const Cell& cell = static_cast<const Cell&>(seq.cell(0));
    Tensor x1 = rnd({T, B, in}, seed + 1, -2, 2), x2 = x1.detach();
    x1.requires_grad_();
    x2.requires_grad_();
    Tensor w = rnd({T, B, H}, seed + 2);  // loss weights: every output and the final state matter

    SequenceOutput a = seq(x1, lengths);
    Tensor la = sum(a.output * w) + sum(square(a.h_n()));
    la.backward();
    std::vector<Array> grads_a;
    for (const Tensor& p : seq.parameters()) grads_a.push_back(p.grad());
    seq.zero_grad();

    ScanOutput b = cell.scan(x2, lengths);
    Tensor lb = sum(b.output * w) + sum(square(b.h_n));
    lb.backward();

    CHECK(close(a.output.value(), b.output.value(), kAgree));
    CHECK(close(select(a.h_n(), 0).value(), b.h_n.value(), kAgree));
    CHECK(close(x1.grad(), x2.grad(), kAgree));
    const auto params = seq.parameters();
    for (std::size_t k = 0; k < params.size(); ++k) {
        INFO("parameter " << k << ", largest difference " << xt::amax(xt::abs(grads_a[k] - params[k].grad()))());
        CHECK(close(grads_a[k], params[k].grad(), kAgree));
    }
}
}  // namespace

TEST_CASE("minGRU and minLSTM: the step-by-step and the parallel scan agree, padding included", "[cells]") {
    forms_agree<MinGRUCell>(7, {}, 10);
    forms_agree<MinGRUCell>(7, {7, 3, 1, 5}, 20);
    forms_agree<MinLSTMCell>(7, {}, 30);
    forms_agree<MinLSTMCell>(7, {7, 3, 1, 5}, 40);
    forms_agree<MinGRUCell>(200, {200, 150}, 50);  // long enough for the log scan's cumulative sums to grow
}

TEST_CASE("gradcheck: minGRU, minLSTM and sLSTM unrolled over a padded sequence", "[gradcheck][cells]") {
    // g(x) has a kink at 0 (slope 1 above, 1/4 below): float's perturbation
    // of 1e-2 steps across it; double's 1e-6 does not
    if (!kDouble) return;
    Generator g(8);
    const std::vector<std::size_t> lengths = {5, 2, 4};
    Tensor x = rnd({5, 3, 3}, 9);
    auto check = [&](Recurrent& layer) {
        V in{x};
        for (const Tensor& p : layer.parameters()) in.push_back(p);
        auto r = gradcheck([&](const V& v) {
            SequenceOutput o = layer(v[0], lengths);
            return sum(o.output * o.output) + sum(o.h_n());
        }, in);
        INFO(r.report);
        CHECK(r.ok);
    };
    Recurrent mingru([&](std::size_t i) { return std::make_unique<MinGRUCell>(i, 4, g); }, 3,
                     RecurrentOptions().num_layers(2).bidirectional(true));
    Recurrent minlstm([&](std::size_t i) { return std::make_unique<MinLSTMCell>(i, 4, g); }, 3);
    Recurrent slstm([&](std::size_t i) { return std::make_unique<SLSTMCell>(i, 4, g); }, 3,
                    RecurrentOptions().num_layers(2));
    check(mingru);
    check(minlstm);
    check(slstm);
    // and the parallel forms on their own
    const MinGRUCell& c = static_cast<const MinGRUCell&>(mingru.cell(0));
    V in{x};
    for (const Tensor& p : c.parameters()) in.push_back(p);
    auto r = gradcheck([&](const V& v) { return sum(square(c.scan(v[0], lengths).output)); }, in);
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("sLSTM: gate pre-activations of magnitude 50 give finite outputs and gradients", "[cells][values]") {
    Generator g(11);
    Recurrent layer([&](std::size_t i) { return std::make_unique<SLSTMCell>(i, 4, g); }, 3);
    SLSTMCell& cell = static_cast<SLSTMCell&>(layer.cell(0));
    // inputs of +-1 and weights that make each pre-activation +-50 or so:
    // e^50 and e^-50 are far outside float's exponent range for products of
    // a few of them; unstabilised, c and n would overflow by step 3
    Tensor x = rnd({12, 2, 3}, 12, -1, 1, true);
    for (auto& v : x.mutable_value()) v = v >= 0 ? real(1) : real(-1);
    for (auto& v : cell.W.mutable_value()) v = v >= 0 ? real(50.0 / 3) : real(-50.0 / 3);
    cell.R.mutable_value().fill(0);
    SequenceOutput o = layer(x);
    real largest = 0;
    for (real v : o.output.value()) {
        REQUIRE(std::isfinite(v));
        largest = std::max(largest, std::abs(v));
    }
    CHECK(largest <= 1 + 1e-5);  // |h| <= |o| |c/n| <= 1: c/n is a weighted mean of tanh values
    (sum(o.output) + sum(o.h_n())).backward();
    for (const Tensor& p : layer.parameters())
        for (real v : p.grad()) REQUIRE(std::isfinite(v));
    for (real v : x.grad()) REQUIRE(std::isfinite(v));
    // the stabiliser at work: m_t reached the scale of the pre-activations
    CHECK(std::abs(o.final_states[0][3].value()(0, 0)) > 10);
}

TEST_CASE("sLSTM matches its equations run by hand without the stabiliser, where that is safe", "[cells][values]") {
    Generator g(13);
    SLSTMCell cell(2, 3, g);
    Tensor x = rnd({4, 1, 2}, 14);
    const std::size_t H = 3;
    State s = cell.initial_state(1);
    // the unstabilised recurrence: i = e^{i~}, f = e^{f~}, c = f c + i z, n = f n + i
    Array h = xt::zeros<real>({H}), c = xt::zeros<real>({H}), n = xt::zeros<real>({H});
    for (std::size_t t = 0; t < 4; ++t) {
        s = cell.checked_step(select(cell.project_inputs(x), t), s);
        Array pre = xt::zeros<real>({4 * H});
        for (std::size_t r = 0; r < 4 * H; ++r) {
            real v = cell.b.value()(r);
            for (std::size_t k = 0; k < 2; ++k) v += cell.W.value()(r, k) * x.value()(t, 0, k);
            for (std::size_t k = 0; k < H; ++k) v += cell.R.value()(r, k) * h(k);
            pre(r) = v;
        }
        for (std::size_t j = 0; j < H; ++j) {
            const real z = std::tanh(pre(j)), i = std::exp(pre(H + j)), f = std::exp(pre(2 * H + j));
            const real o = 1 / (1 + std::exp(-pre(3 * H + j)));
            c(j) = f * c(j) + i * z;
            n(j) = f * n(j) + i;
            h(j) = o * c(j) / n(j);
        }
        for (std::size_t j = 0; j < H; ++j) CHECK(s[0].value()(0, j) == Approx(h(j)).epsilon(kDouble ? 1e-12 : 1e-5));
    }
}
