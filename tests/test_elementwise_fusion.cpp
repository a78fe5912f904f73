// SPDX-License-Identifier: MIT
// Elementwise fusion (speed/fusion.hpp) must be invisible but for speed
// and the shape of the tape: the same values as the eager ops, gradients
// equal to rounding, each pending value computed once, and a pending value
// reading its inputs as they were when it was made.
#include <thread>

#include "helpers.hpp"

using namespace th;

namespace {
bool is_fused(const TensorImpl& n) { return n.op && std::string(n.op) == "elementwise"; }

// One LSTM step written op by op, as a user would.
std::vector<Tensor> lstm_step(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& W, const Tensor& U,
                              const Tensor& b) {
    auto g = chunk(linear(x, W, b) + linear(h, U), 4, 1);
    Tensor c2 = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
    return {sigmoid(g[3]) * tanh(c2), c2};
}

struct Grads {
    Array loss, dW, dU, db, dx;
};

Grads run_lstm(bool fuse) {
    ElementwiseFusion mode(fuse);
    const std::size_t B = 5, I = 3, H = 6, T = 4;
    Tensor W = rnd({4 * H, I}, 1, -0.5, 0.5), U = rnd({4 * H, H}, 2, -0.5, 0.5), b = rnd({4 * H}, 3);
    Tensor xs = rnd({T, B, I}, 4);
    Tensor h = Tensor::zeros(make_shape({B, H})), c = h;
    Tensor loss = Tensor::scalar(0);
    for (std::size_t t = 0; t < T; ++t) {
        auto s = lstm_step(select(xs, t), h, c, W, U, b);
        h = s[0];
        c = s[1];
        loss = loss + sum(h * h);
    }
    loss.backward();
    return {loss.value(), W.grad(), U.grad(), b.grad(), xs.grad()};
}
}  // namespace

TEST_CASE("a fused LSTM step has the eager values and gradients", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    const Grads eager = run_lstm(false), fused = run_lstm(true);
    const double tol = kDouble ? 1e-12 : 1e-5;
    CHECK(close(fused.loss, eager.loss, tol));  // the same formulas; a tail may take the scalar exp
    CHECK(close(fused.dW, eager.dW, tol));
    CHECK(close(fused.dU, eager.dU, tol));
    CHECK(close(fused.db, eager.db, tol));
    CHECK(close(fused.dx, eager.dx, tol));
}

TEST_CASE("an LSTM step written op by op records two elementwise nodes and no copies", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    const std::size_t B = 4, I = 3, H = 5;
    Tensor W = rnd({4 * H, I}, 1), U = rnd({4 * H, H}, 2), b = rnd({4 * H}, 3);
    Tensor x = rnd({B, I}, 4), h = rnd({B, H}, 5), c = rnd({B, H}, 6);
    auto s = lstm_step(x, h, c, W, U, b);
    Tensor loss = sum(s[0]) + sum(s[1]);
    // c and h, each reading its blocks of both products: the gate sum is
    // never written out, and there are no slice, sigmoid, tanh or mul nodes
    CHECK(count_nodes(loss, is_fused) == 2);
    CHECK(count_nodes(loss, [](const TensorImpl& n) { return n.op && std::string(n.op) == "add"; }) == 1);  // the loss's
    CHECK(count_nodes(loss, [](const TensorImpl& n) { return n.op && std::string(n.op) == "slice"; }) == 0);
    CHECK(count_nodes(loss, [](const TensorImpl& n) { return n.op && std::string(n.op) == "sigmoid"; }) == 0);
}

TEST_CASE("a short pending value kept in a variable is copied into each reader", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    // a named gate: `Tensor z = sigmoid(a);`, read by two programs
    Tensor a = rnd({3, 4}, 1), b = rnd({3, 4}, 2);
    Tensor z = sigmoid(a * b);
    Tensor u = tanh(z) * real(2);
    Tensor v = (real(1) - z) * b + z;  // z twice in one program
    CHECK(z.is_pending());  // never computed on its own
    Tensor loss = sum(u) + sum(v);
    CHECK(count_nodes(loss, is_fused) == 2);  // u and v, each with z's program inside
    loss.backward();
    ElementwiseFusion eager(false);
    Tensor a2 = a.detach().requires_grad_(), b2 = b.detach().requires_grad_();
    Tensor z2 = sigmoid(a2 * b2);
    (sum(tanh(z2) * real(2)) + sum((real(1) - z2) * b2 + z2)).backward();
    CHECK(close(a.grad(), a2.grad(), kDouble ? 1e-12 : 1e-5));
    CHECK(close(b.grad(), b2.grad(), kDouble ? 1e-12 : 1e-5));
}

TEST_CASE("a longer pending value kept in a variable is computed once for all its readers", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    Tensor a = rnd({3, 4}, 1), b = rnd({3, 4}, 2);
    Tensor c = sigmoid(a) * b + tanh(b) * a + exp(a) * b;  // longer than a program copied into its readers
    CHECK(c.is_pending());
    CHECK(c.shape() == a.shape());  // known without computing
    CHECK(c.is_pending());
    Tensor u = tanh(c) * real(2);  // c computed here, then read as an operand
    CHECK_FALSE(c.is_pending());
    Tensor v = sigmoid(c) + c;
    Tensor loss = sum(u) + sum(v);
    CHECK(count_nodes(loss, is_fused) == 3);  // c, u, v: c is not computed inside u or v
    loss.backward();
    ElementwiseFusion eager(false);
    Tensor a2 = a.detach().requires_grad_(), b2 = b.detach().requires_grad_();
    Tensor c2 = sigmoid(a2) * b2 + tanh(b2) * a2 + exp(a2) * b2;
    (sum(tanh(c2) * real(2)) + sum(sigmoid(c2) + c2)).backward();
    CHECK(close(a.grad(), a2.grad(), kDouble ? 1e-12 : 1e-5));
    CHECK(close(b.grad(), b2.grad(), kDouble ? 1e-12 : 1e-5));
}

TEST_CASE("a pending value reads its inputs as they were when it was made", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    Tensor x = rnd({2, 3}, 1);
    const Array before = x.value();
    Tensor y = x * real(2) + real(1);
    CHECK(y.is_pending());
    x.mutable_value().fill(real(100));  // the write computes y first
    CHECK_FALSE(y.is_pending());
    const Array expect = before * real(2) + real(1);
    CHECK(y.value() == expect);
    // a view, too
    Tensor s = select(rnd({3, 2}, 2), 1);
    Tensor z = rnd({3}, 3);
    Tensor w = select(x, 0) * z;
    Array x0 = z.value();
    for (std::size_t k = 0; k < 3; ++k) x0(k) *= x.value()(0, k);
    x.mutable_value().fill(real(-1));
    CHECK(w.value() == x0);
    CHECK(s.shape() == make_shape({2}));
}

TEST_CASE("a pending value made while recording is recorded when read with grad mode off", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    Tensor a = rnd({4}, 1);
    Tensor y = tanh(a) * a;
    {
        NoGradGuard off;
        CHECK(y.value().size() == 4);
        Tensor z = tanh(a) * a;  // not recording: computed at once, no node
        CHECK_FALSE(z.is_pending());
        CHECK(z.is_leaf());
    }
    CHECK_FALSE(y.is_leaf());
    CHECK(y.requires_grad());
    sum(y).backward();
    const Array t = xt::tanh(a.value());
    const Array expect = (1 - t * t) * a.value() + t;
    CHECK(close(a.grad(), expect, kDouble ? 1e-12 : 1e-5));
}

TEST_CASE("fusion is off in anomaly mode, so a NaN names the op that made it", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    AnomalyMode on;
    Tensor a = Tensor::from({-1, 2}, make_shape({2}), true);
    Tensor b = a * real(2);
    CHECK_FALSE(b.is_pending());
    CHECK_THROWS_WITH(log(a) + b, Catch::Contains("'log'"));
}

TEST_CASE("elementwise ops over different shapes still say so at the call", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    Tensor a = rnd({2, 3}, 1), b = rnd({4}, 2);
    CHECK_THROWS_WITH(a * b, Catch::Contains("mul"));
    CHECK_THROWS_WITH(sigmoid(a) + b, Catch::Contains("add"));
    // broadcasting is the eager op's
    Tensor r = rnd({3}, 3);
    Tensor y = sigmoid(a) * r;
    CHECK(y.shape() == a.shape());
    CHECK(y.op_name() == std::string("mul"));
}

TEST_CASE("a long chain of temporaries is cut into programs of bounded length", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    Tensor x = rnd({8}, 1, -0.1, 0.1);
    Tensor y = x;
    for (int i = 0; i < 200; ++i) y = tanh(std::move(y)) * real(1.001);  // each step hands y over
    const std::size_t nodes = count_nodes(y, is_fused);
    CHECK(nodes >= 200 * 2 / 32);
    CHECK(nodes <= 200 * 2 / 16);
    sum(y).backward();
    ElementwiseFusion eager(false);
    Tensor x2 = x.detach().requires_grad_();
    Tensor y2 = x2;
    for (int i = 0; i < 200; ++i) y2 = tanh(y2) * real(1.001);
    sum(y2).backward();
    CHECK(close(y.value(), y2.value(), kDouble ? 1e-12 : 1e-5));
    CHECK(close(x.grad(), x2.grad(), kDouble ? 1e-12 : 1e-5));
}

TEST_CASE("two threads reading one pending value compute it once", "[fusion]") {
    ElementwiseFusion fusion(true);  // the layer under test, whatever TAPEGRAD_SPEED says
    Tensor a = rnd({64, 64}, 1), b = rnd({64, 64}, 2);
    for (int round = 0; round < 20; ++round) {
        Tensor y = sigmoid(a) * b + a;
        Array r1, r2;
        std::thread t1([&] { r1 = y.value(); }), t2([&] { r2 = y.value(); });
        t1.join();
        t2.join();
        const bool same = r1 == r2;
        CHECK(same);
        CHECK(count_nodes(y, is_fused) == 1);
    }
}
