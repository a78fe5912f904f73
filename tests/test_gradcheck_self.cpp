// SPDX-License-Identifier: MIT
// gradcheck itself: it must catch a wrong formula at the tolerance it uses.
// Each case defines a deliberately broken op through the same record() API
// that ops/ uses, and asserts that gradcheck rejects it.
#include "helpers.hpp"

using namespace th;
using V = std::vector<Tensor>;

namespace {
// tanh with the derivative 1 - y instead of 1 - y^2
Tensor wrong_tanh(const Tensor& x) {
    return record("wrong_tanh", xt::tanh(x.value()), {x},
                  [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * (real(1) - y.value)); });
}
// a*b whose gradient forgets the second input
Tensor wrong_mul(const Tensor& a, const Tensor& b) {
    return record("wrong_mul", a.value() * b.value(), {a, b},
                  [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * y.inputs[1]->value); });
}
// sigmoid whose gradient is off by one part in 10^3: small errors are caught too
Tensor slightly_wrong_sigmoid(const Tensor& x) {
    return record("slightly_wrong_sigmoid", real(1) / (real(1) + xt::exp(-x.value())), {x}, [](TensorImpl& y) {
        accumulate(*y.inputs[0], y.grad * y.value * (real(1) - y.value) * real(1.001));
    });
}
}  // namespace

TEST_CASE("gradcheck rejects wrong gradients and accepts right ones", "[gradcheck]") {
    Tensor x = rnd({3, 4}, 1, -2, 2), y = rnd({3, 4}, 2);
    CHECK(gradcheck([](const V& in) { return tanh(in[0]); }, {x}).ok);
    auto r = gradcheck([](const V& in) { return wrong_tanh(in[0]); }, {x});
    CHECK_FALSE(r.ok);
    CHECK(r.report.find("input 0 element") != std::string::npos);
    CHECK_FALSE(gradcheck([](const V& in) { return wrong_mul(in[0], in[1]); }, {x, y}).ok);
    if (kDouble)  // a 0.1% error is below float's finite-difference resolution
        CHECK_FALSE(gradcheck([](const V& in) { return slightly_wrong_sigmoid(in[0]); }, {x}).ok);
}

TEST_CASE("gradcheck refuses non-leaf inputs", "[gradcheck]") {
    Tensor x = rnd({2}, 3);
    require_throws_with<GraphError>([&] { gradcheck([](const V& in) { return in[0]; }, {x * real(2)}); },
                                    {"gradcheck", "leaf"});
}
