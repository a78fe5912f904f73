#include "rmsprop.hpp"

#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

RMSProp::RMSProp(std::vector<Tensor> params, RMSPropOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), square_avg_(add_buffers("square_avg")) {
    if (!(o.alpha >= 0 && o.alpha < 1)) fail<ValueError>("RMSProp: alpha {} must lie in [0, 1)", o.alpha);
}

void RMSProp::step() {
    ++steps_;
    for_each_gradient([&](std::size_t i, real* w, const real* g0, std::size_t k0, std::size_t k1) {
        real* v = square_avg_[i].data();
        for (std::size_t k = k0; k < k1; ++k) {
            const real g = g0[k] + o_.weight_decay * w[k];
            v[k] = o_.alpha * v[k] + (1 - o_.alpha) * g * g;
            w[k] -= lr_ * g / (std::sqrt(v[k]) + o_.eps);
        }
    });
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
