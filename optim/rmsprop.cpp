// SPDX-License-Identifier: MIT
#include "rmsprop.hpp"

#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

RMSProp::RMSProp(std::vector<Tensor> params, RMSPropOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), square_avg_(add_buffers("square_avg", /*nonnegative=*/true)) {
    if (!(o.alpha >= 0 && o.alpha < 1)) fail<ValueError>("RMSProp: alpha {} must lie in [0, 1)", o.alpha);
}

namespace {
// A plain function of values and pointers, so the loop vectorises (see Adam).
void rmsprop_update(real lr, real wd, real alpha, real eps, real* w, const real* g0, real* v, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) {
        const real g = g0[k] + wd * w[k];
        const real vk = alpha * v[k] + (1 - alpha) * g * g;
        v[k] = vk;
        w[k] -= lr * g / (std::sqrt(vk) + eps);
    }
}
}  // namespace

void RMSProp::step() {
    ++steps_;
    const real lr = lr_, wd = o_.weight_decay, alpha = o_.alpha, eps = o_.eps;
    for_each_gradient([&](std::size_t i, real* w, const real* g, std::size_t k0, std::size_t k1) {
        rmsprop_update(lr, wd, alpha, eps, w + k0, g + k0, square_avg_[i].data() + k0, k1 - k0);
    });
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
