// SPDX-License-Identifier: MIT
// BPTT by hand vs by tape, for a 3-step vanilla RNN
//     a_t = W_hh h_{t-1} + W_xh x_t,   h_t = tanh(a_t),   L = r . h_3
// (column vectors, as in the lecture notes). By hand, the chain rule walks
// back through time:
//     dL/dh_3 = r
//     dL/da_t = tanh'(a_t) * dL/dh_t = (1 - h_t^2) * dL/dh_t
//     dL/dh_{t-1} = W_hh^T dL/da_t              -- the product of tanh' * W_hh terms
//     dL/dW_hh = sum_t dL/da_t h_{t-1}^T,   dL/dW_xh = sum_t dL/da_t x_t^T
// The tape computes the same from the forward code alone. Exits 1 if they differ.
#include <cmath>
#include <fmt/core.h>
#include <tapegrad.hpp>

using namespace tapegrad;

int main() {
    const std::size_t H = 3, I = 2, T = 3;
    Generator g(7);
    Tensor W_hh = rand_uniform(make_shape({H, H}), -0.8, 0.8, g, true);
    Tensor W_xh = rand_uniform(make_shape({H, I}), -0.8, 0.8, g, true);
    std::vector<Tensor> xs;
    for (std::size_t t = 0; t < T; ++t) xs.push_back(rand_uniform(make_shape({I, 1}), -1, 1, g));
    Tensor r = rand_uniform(make_shape({H, 1}), -1, 1, g);

    // ---- by tape: forward code only
    std::vector<Tensor> h{Tensor::zeros(make_shape({H, 1}))};
    for (std::size_t t = 0; t < T; ++t) h.push_back(tanh(matmul(W_hh, h.back()) + matmul(W_xh, xs[t])));
    Tensor L = sum(r * h[T]);
    L.backward();

    // ---- by hand: the recurrence above, with plain arrays
    Array dh = r.value();  // dL/dh_3
    Array dW_hh(Shape{H, H}, real(0)), dW_xh(Shape{H, I}, real(0));
    for (std::size_t t = T; t >= 1; --t) {
        const Array& ht = h[t].value();
        Array da = (real(1) - ht * ht) * dh;  // tanh'(a_t) * dL/dh_t
        fmt::print("step {}: ||dL/dh_{}|| = {:.6f}\n", t, t, std::sqrt(double(xt::sum(dh * dh)())));
        for (std::size_t i = 0; i < H; ++i) {
            for (std::size_t j = 0; j < H; ++j) dW_hh(i, j) += da(i, 0) * h[t - 1].value()(j, 0);
            for (std::size_t j = 0; j < I; ++j) dW_xh(i, j) += da(i, 0) * xs[t - 1].value()(j, 0);
        }
        Array prev(Shape{H, 1}, real(0));  // dL/dh_{t-1} = W_hh^T dL/da_t
        for (std::size_t j = 0; j < H; ++j)
            for (std::size_t i = 0; i < H; ++i) prev(j, 0) += W_hh.value()(i, j) * da(i, 0);
        dh = prev;
    }

    double worst = 0;
    fmt::print("\n{:>8} {:>12} {:>12}\n", "dL/dW_hh", "by hand", "by tape");
    for (std::size_t i = 0; i < H; ++i)
        for (std::size_t j = 0; j < H; ++j) {
            fmt::print("  [{},{}] {:12.7f} {:12.7f}\n", i, j, dW_hh(i, j), W_hh.grad()(i, j));
            worst = std::max(worst, std::abs(double(dW_hh(i, j) - W_hh.grad()(i, j))));
        }
    for (std::size_t i = 0; i < H; ++i)
        for (std::size_t j = 0; j < I; ++j) worst = std::max(worst, std::abs(double(dW_xh(i, j) - W_xh.grad()(i, j))));
    fmt::print("\nlargest difference over dL/dW_hh and dL/dW_xh: {:.2e}\n", worst);
    return worst < 1e-5 ? 0 : 1;
}
