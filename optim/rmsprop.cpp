#include "rmsprop.hpp"

#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

RMSProp::RMSProp(std::vector<Tensor> params, RMSPropOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
    if (!(o.alpha >= 0 && o.alpha < 1)) fail<ValueError>("RMSProp: alpha {} must lie in [0, 1)", o.alpha);
    square_avg_ = zero_buffers();
}

void RMSProp::step() {
    ++steps_;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Tensor& p = params_[i];
        if (!p.has_grad()) continue;
        real* w = p.mutable_value().data();
        const real* g0 = p.grad().data();
        real* v = square_avg_[i].data();
        for (std::size_t k = 0; k < p.numel(); ++k) {
            const real g = g0[k] + o_.weight_decay * w[k];
            v[k] = o_.alpha * v[k] + (1 - o_.alpha) * g * g;
            w[k] -= lr_ * g / (std::sqrt(v[k]) + o_.eps);
        }
    }
}

StateDict RMSProp::state() const {
    StateDict s = Optimizer::state();
    save_buffers(s, "square_avg", square_avg_);
    return s;
}

void RMSProp::load_state(const StateDict& s) {
    Optimizer::load_state(s);
    load_buffers(s, "square_avg", square_avg_);
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
