// SPDX-License-Identifier: MIT
#include "adam.hpp"

#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), m_(add_buffers("exp_avg")), v_(add_buffers("exp_avg_sq", /*nonnegative=*/true)) {
    if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
        fail<ValueError>("Adam: betas ({}, {}) must lie in [0, 1)", o.beta1, o.beta2);
}

namespace {
// One Adam update over n contiguous elements. A plain function of values and
// pointers, so the loop vectorises (inside the step's lambda the compiler
// would not).
struct AdamConsts {
    real b1, b2, eps, l2, shrink, step_size, inv_sqrt_c2;
};
void adam_update(const AdamConsts c, real* w, const real* g0, real* m, real* v, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) {
        const real g = g0[k] + c.l2 * w[k];
        const real mk = c.b1 * m[k] + (1 - c.b1) * g;
        const real vk = c.b2 * v[k] + (1 - c.b2) * g * g;
        m[k] = mk;
        v[k] = vk;
        w[k] = w[k] * c.shrink - c.step_size * mk / (std::sqrt(vk) * c.inv_sqrt_c2 + c.eps);
    }
}
}  // namespace

void Adam::step() {
    ++steps_;
    const double c1 = 1 - std::pow(double(o_.beta1), double(steps_));
    const double c2 = 1 - std::pow(double(o_.beta2), double(steps_));
    const bool decoupled = o_.decoupled_weight_decay;
    const AdamConsts c{o_.beta1,
                       o_.beta2,
                       o_.eps,
                       decoupled ? real(0) : o_.weight_decay,
                       decoupled ? real(1) - lr_ * o_.weight_decay : real(1),
                       static_cast<real>(lr_ / c1),
                       static_cast<real>(1 / std::sqrt(c2))};
    for_each_gradient([&](std::size_t i, real* w, const real* g, std::size_t k0, std::size_t k1) {
        adam_update(c, w + k0, g + k0, m_[i].data() + k0, v_[i].data() + k0, k1 - k0);
    });
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
