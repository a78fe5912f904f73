#include "sgd.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
    if (o.nesterov && o.momentum <= 0) fail<ValueError>("SGD: nesterov needs momentum > 0");
    velocity_ = zero_buffers();
}

void SGD::step() {
    ++steps_;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Tensor& p = params_[i];
        if (!p.has_grad()) continue;
        real* w = p.mutable_value().data();
        const real* g0 = p.grad().data();
        real* v = velocity_[i].data();
        for (std::size_t k = 0; k < p.numel(); ++k) {
            real g = g0[k] + o_.weight_decay * w[k];
            if (o_.momentum != 0) {
                v[k] = o_.momentum * v[k] + g;  // v starts at 0, so the first step gives v = g
                g = o_.nesterov ? g + o_.momentum * v[k] : v[k];
            }
            w[k] -= lr_ * g;
        }
    }
}

StateDict SGD::state() const {
    StateDict s = Optimizer::state();
    save_buffers(s, "velocity", velocity_);
    return s;
}

void SGD::load_state(const StateDict& s) {
    Optimizer::load_state(s);
    load_buffers(s, "velocity", velocity_);
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
