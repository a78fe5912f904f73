// SPDX-License-Identifier: MIT
#include "adagrad.hpp"

#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), sum_(add_buffers("sum", /*nonnegative=*/true)) {}

void Adagrad::step() {
    ++steps_;
    const real wd = o_.weight_decay, eps = o_.eps, lr = lr_;  // locals: see Adam::step
    for_each_gradient([&](std::size_t i, real* w, const real* g0, std::size_t k0, std::size_t k1) {
        real* s = sum_[i].data();
        for (std::size_t k = k0; k < k1; ++k) {
            const real g = g0[k] + wd * w[k];
            const real sk = s[k] + g * g;
            s[k] = sk;
            w[k] -= lr * g / (std::sqrt(sk) + eps);
        }
    });
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
