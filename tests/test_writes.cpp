// SPDX-License-Identifier: MIT
// Writes to values that backward reads. A leaf written (mutable_value)
// between the forward that read it and the backward would get its gradient
// at the new value; backward refuses, naming the op -- and only when that
// op's backward reads the value.
#include "helpers.hpp"

using namespace th;

namespace {
void write_into(Tensor& t) { t.mutable_value() += real(1); }
}  // namespace

TEST_CASE("a leaf written between forward and backward: backward names the op that reads it", "[writes]") {
    for (bool fuse : {false, true}) {
        ElementwiseFusion mode(fuse);
        INFO("fusion " << fuse);
        Tensor x = rnd({3, 4}, 1), W = rnd({4, 2}, 2);
        W.set_label("W");
        Tensor loss = sum(tanh(matmul(x, W)));
        write_into(W);
        require_throws_with<GraphError>([&] { loss.backward(); },
                                        {"backward:", "input 1 of 'matmul'", "[4, 2]", "label 'W'", "written"});
        // an elementwise product reads both operands (d(a*b)/da = b)
        Tensor a = rnd({5}, 3), b = rnd({5}, 4);
        Tensor p = sum(a * b);
        write_into(b);
        require_throws_with<GraphError>([&] { p.backward(); }, {"backward:", "written"});
    }
}

TEST_CASE("a write the backward does not read is allowed, and the gradient is right", "[writes]") {
    // d(x + W)/dW = 1 whatever W is: the add does not read W's value
    Tensor x = rnd({3}, 1), W = rnd({3}, 2);
    Tensor loss = sum(x + W);
    write_into(W);
    loss.backward();
    CHECK(bool(W.grad() == xt::ones<real>({3})));
}

TEST_CASE("an optimizer step before backward is refused, and after it the next forward is fine", "[writes]") {
    nn::Linear lin(3, 2);
    optim::SGD opt(lin.parameters(), {0.1});
    Tensor x = rnd({4, 3}, 1, -1, 1, false);
    Tensor loss = sum(lin(tanh(x)) * lin(tanh(x)));
    loss.backward(/*retain_graph=*/true);
    opt.step();  // writes the weight that the retained graph's linear reads
    require_throws_with<GraphError>([&] { loss.backward(); }, {"backward:", "'linear'", "written"});
    opt.zero_grad();
    Tensor again = sum(lin(tanh(x)) * lin(tanh(x)));
    CHECK_NOTHROW(again.backward());
}

TEST_CASE("only leaves can be written", "[writes]") {
    Tensor x = rnd({3}, 1);
    Tensor y = tanh(x);
    require_throws_with<GraphError>([&] { y.mutable_value(); }, {"mutable_value:", "leaf", "'tanh'"});
    Tensor copy = y.detach();
    CHECK_NOTHROW(copy.mutable_value());
}
