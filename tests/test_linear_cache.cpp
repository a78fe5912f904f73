// SPDX-License-Identifier: MIT
// linear's forward on a batch-sized input, inside a graph, may multiply by
// a transposed copy of a leaf weight that the graph's nodes share, and
// stage a leaf weight's gradient to the walk's end (speed/transposed_weight
// and speed/staged_gemm, turned on here). Its values must be those of the
// plain product, and a write to the weight must never leave a stale copy in
// use, even while a graph made before the write is alive.
#include "helpers.hpp"

using namespace th;

namespace {
// The reference: the same product outside any graph, which takes the plain path.
Array plain_linear(const Tensor& x, const Tensor& W, const Tensor& b = Tensor()) {
    NoGradGuard ng;
    return linear(x, W, b).value();
}
}  // namespace

TEST_CASE("linear in a graph gives the values of the plain product", "[linear]") {
    LinearLayersOn on;  // the layers under test, whatever the defaults say
    Tensor x = rnd({32, 40}, 1), W = rnd({48, 40}, 2), b = rnd({48}, 3);
    Tensor y = linear(x, W, b);
    CHECK(close(y.value(), plain_linear(x, W, b), kValueTol));
    // a step's addend plus the product, twice with the same weight: the second product uses the shared copy
    Tensor a = rnd({3, 32, 48}, 4);
    Tensor y1 = select(a, 1) + linear(x, W), y2 = select(a, 2) + linear(x, W);
    CHECK(close(y1.value(), plain_linear(x, W) + select(a, 1).value(), kValueTol));
    CHECK(close(y2.value(), plain_linear(x, W) + select(a, 2).value(), kValueTol));
}

TEST_CASE("a weight written through mutable_value while an older graph lives is read anew", "[linear]") {
    LinearLayersOn on;  // the layers under test, whatever the defaults say
    Tensor x = rnd({8, 5}, 5), W = rnd({6, 5}, 6);
    Tensor y1 = linear(x, W);  // keeps its graph, and the transposed copy in it, alive
    W.mutable_value()(2, 3) += real(0.75);
    Tensor y2 = linear(x, W);
    CHECK(close(y2.value(), plain_linear(x, W), kValueTol));
    CHECK_FALSE(close(y2.value(), y1.value(), 1e-3));
}

TEST_CASE("an optimizer step between two forwards is seen with the first graph retained", "[linear]") {
    LinearLayersOn on;  // the layers under test, whatever the defaults say
    Tensor x = rnd({16, 12}, 7), W = rnd({10, 12}, 8), b = rnd({10}, 9);
    optim::SGD opt({W, b}, optim::SGDOptions{real(0.5)});
    Tensor loss = sum(square(linear(x, W, b)));
    loss.backward(/*retain_graph=*/true);
    opt.step();
    Tensor y = linear(x, W, b);
    CHECK(close(y.value(), plain_linear(x, W, b), kValueTol));
    // and the gradients of the second graph are those of the updated weight
    opt.zero_grad();
    sum(square(y)).backward();
    Array G = 2 * plain_linear(x, W, b);
    Array dW = xt::zeros<real>({10, 12});
    for (std::size_t o = 0; o < 10; ++o)
        for (std::size_t i = 0; i < 12; ++i)
            for (std::size_t r = 0; r < 16; ++r) dW(o, i) += G(r, o) * x.value()(r, i);
    CHECK(close(W.grad(), dW, kDouble ? 1e-9 : 1e-3));
}

TEST_CASE("linear's gradients through many steps of one weight", "[linear][gradcheck]") {
    LinearLayersOn on;  // the layers under test, whatever the defaults say
    // A small recurrence: every step's product shares the transposed copy.
    Tensor h0 = rnd({4, 6}, 10), W = rnd({6, 6}, 11, -0.6, 0.6), b = rnd({6}, 12);
    CHECK_GRADS(
        [](const std::vector<Tensor>& v) {
            Tensor h = v[0];
            for (int t = 0; t < 5; ++t) h = tanh(linear(h, v[1], v[2]));
            return h;
        },
        h0, W, b);
}

TEST_CASE("a computed bias gets its gradient next to a leaf weight", "[linear][gradcheck]") {
    LinearLayersOn on;  // the layers under test, whatever the defaults say
    // A leaf weight's gradient is staged to the walk's end; the bias here is
    // an op's output, whose gradient must arrive before its node is walked.
    Tensor x = rnd({5, 4}, 13), W = rnd({3, 4}, 14), b1 = rnd({3}, 15), b2 = rnd({3}, 16);
    CHECK_GRADS([](const std::vector<Tensor>& v) { return tanh(linear(v[0], v[1], v[2] + v[3])); }, x, W, b1, b2);
}

TEST_CASE("matmul by a weight over many steps", "[linear][gradcheck]") {
    LinearLayersOn on;  // the layers under test, whatever the defaults say
    // x W each step, as an attention query's projection: the transposed copy
    // serves dx, and dW is staged to the walk's end.
    Tensor h0 = rnd({4, 6}, 17), W = rnd({6, 5}, 18, -0.6, 0.6), V = rnd({5, 6}, 19, -0.6, 0.6);
    CHECK_GRADS(
        [](const std::vector<Tensor>& v) {
            Tensor h = v[0];
            for (int t = 0; t < 4; ++t) h = tanh(matmul(sigmoid(matmul(h, v[1])), v[2]));
            return h;
        },
        h0, W, V);
}

TEST_CASE("gradients of a weight used by matmul and by linear in the same steps", "[linear][gradcheck]") {
    LinearLayersOn on;  // the layers under test, whatever the defaults say
    Tensor h0 = rnd({4, 6}, 20), W = rnd({6, 6}, 21, -0.6, 0.6), b = rnd({6}, 22);
    CHECK_GRADS(
        [](const std::vector<Tensor>& v) {
            Tensor h = v[0];
            for (int t = 0; t < 4; ++t) h = tanh(matmul(h, v[1]) + linear(h, v[1], v[2]));
            return h;
        },
        h0, W, b);
}

TEST_CASE("staged gradients of a batch larger than a block of rows", "[linear][gradcheck]") {
    LinearLayersOn on;  // the layers under test, whatever the defaults say
    // 37 rows: the staged rows and the bias sums are shared among the
    // threads in blocks of 16 rows, the last one partial; the addend's
    // slices are read in place.
    Tensor a = rnd({3, 37, 6}, 23), x = rnd({37, 5}, 24), W = rnd({6, 5}, 25), b = rnd({6}, 26);
    CHECK_GRADS(
        [](const std::vector<Tensor>& v) {
            Tensor h = v[1];
            std::vector<Tensor> outs;
            for (std::size_t t = 0; t < 3; ++t) outs.push_back(select(v[0], t) + linear(tanh(h), v[2], v[3]));
            return stack(outs, 0);
        },
        a, x, W, b);
}
