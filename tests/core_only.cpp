// SPDX-License-Identifier: MIT
// The core alone -- the tape, the ops and the speed layers, linked without
// nn/, optim/ or train/ -- records, differentiates and passes a gradient
// check. It would not link if the core called into a layer above it.
#include <cstdio>

#include <autograd/gradcheck.hpp>
#include <ops/arithmetic.hpp>
#include <ops/linear.hpp>
#include <ops/reduce.hpp>
#include <ops/shape.hpp>
#include <ops/unary.hpp>

using namespace tapegrad;

int main() {
    Tensor x = Tensor::from({0.1, -0.4, 0.7, 0.2, 0.5, -0.3}, make_shape({3, 2}), true);
    Tensor W = Tensor::from({0.3, -0.2, 0.8, 0.1}, make_shape({2, 2}), true);
    Tensor b = Tensor::from({0.05, -0.1}, make_shape({2}), true);
    auto f = [](const std::vector<Tensor>& in) {
        auto g = chunk(linear(in[0], in[1], in[2]), 2, 1);
        Tensor z = sigmoid(g[0]);
        return sum((1 - z) * tanh(g[1]) + z * in[0]);
    };
    const GradcheckResult r = gradcheck(f, {x, W, b});
    std::printf("core alone: gradcheck over %zu values: %s\n", r.checked, r.ok ? "ok" : "FAILED");
    if (!r.ok) std::printf("%s", r.report.c_str());
    return r.ok && r.checked == 12 ? 0 : 1;
}
