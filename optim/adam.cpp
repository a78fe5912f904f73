#include "adam.hpp"

#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), m_(add_buffers("exp_avg")), v_(add_buffers("exp_avg_sq")) {
    if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
        fail<ValueError>("Adam: betas ({}, {}) must lie in [0, 1)", o.beta1, o.beta2);
}

void Adam::step() {
    ++steps_;
    const double c1 = 1 - std::pow(double(o_.beta1), double(steps_));
    const double c2 = 1 - std::pow(double(o_.beta2), double(steps_));
    const real step_size = static_cast<real>(lr_ / c1);
    const real inv_sqrt_c2 = static_cast<real>(1 / std::sqrt(c2));
    for_each_gradient([&](std::size_t i, real* w, const real* g0, std::size_t k0, std::size_t k1) {
        real* m = m_[i].data();
        real* v = v_[i].data();
        const bool l2 = o_.weight_decay != 0 && !o_.decoupled_weight_decay;
        const real shrink = o_.decoupled_weight_decay ? real(1) - lr_ * o_.weight_decay : real(1);
        for (std::size_t k = k0; k < k1; ++k) {
            const real g = l2 ? g0[k] + o_.weight_decay * w[k] : g0[k];
            m[k] = o_.beta1 * m[k] + (1 - o_.beta1) * g;
            v[k] = o_.beta2 * v[k] + (1 - o_.beta2) * g * g;
            w[k] = w[k] * shrink - step_size * m[k] / (std::sqrt(v[k]) * inv_sqrt_c2 + o_.eps);
        }
    });
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
