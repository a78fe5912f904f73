// SPDX-License-Identifier: MIT
// d/dw sum(tanh(x w)) through the public header: exits 0 if the gradient
// matches the closed form.
#include <cmath>
#include <cstdio>
#include <tapegrad.hpp>

using namespace tapegrad;

int main() {
    Tensor x = Tensor::from({1, 2}, make_shape({1, 2}));
    Tensor w = Tensor::from({0.1f, -0.3f}, make_shape({2, 1}), true);
    sum(tanh(matmul(x, w))).backward();
    const double z = 1 * 0.1 + 2 * -0.3, d = 1 - std::tanh(z) * std::tanh(z);
    const bool ok = std::abs(w.grad()(0, 0) - d) < 1e-5 && std::abs(w.grad()(1, 0) - 2 * d) < 1e-5;
    std::printf("consumer: gradient %s\n", ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
