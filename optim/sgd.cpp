// SPDX-License-Identifier: MIT
#include "sgd.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), velocity_(add_buffers("velocity")) {
    if (o.nesterov && o.momentum <= 0) fail<ValueError>("SGD: nesterov needs momentum > 0");
}

namespace {
// Plain functions of values and pointers, so the loops vectorise (see Adam).
void sgd_update(real lr, real wd, real* w, const real* g, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) w[k] -= lr * (g[k] + wd * w[k]);
}
void momentum_update(real lr, real wd, real mu, bool nesterov, real* w, const real* g0, real* v, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) {
        const real g = g0[k] + wd * w[k];
        const real vk = mu * v[k] + g;  // v starts at 0, so the first step gives v = g
        v[k] = vk;
        w[k] -= lr * (nesterov ? g + mu * vk : vk);
    }
}
}  // namespace

void SGD::step() {
    ++steps_;
    const real lr = lr_, wd = o_.weight_decay, mu = o_.momentum;
    const bool nesterov = o_.nesterov;
    for_each_gradient([&](std::size_t i, real* w, const real* g, std::size_t k0, std::size_t k1) {
        if (mu != 0)
            momentum_update(lr, wd, mu, nesterov, w + k0, g + k0, velocity_[i].data() + k0, k1 - k0);
        else
            sgd_update(lr, wd, w + k0, g + k0, k1 - k0);
    });
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
