#include "adagrad.hpp"

#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
    sum_ = zero_buffers();
}

void Adagrad::step() {
    ++steps_;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Tensor& p = params_[i];
        if (!p.has_grad()) continue;
        real* w = p.mutable_value().data();
        const real* g0 = p.grad().data();
        real* s = sum_[i].data();
        for (std::size_t k = 0; k < p.numel(); ++k) {
            const real g = g0[k] + o_.weight_decay * w[k];
            s[k] += g * g;
            w[k] -= lr_ * g / (std::sqrt(s[k]) + o_.eps);
        }
    }
}

StateDict Adagrad::state() const {
    StateDict s = Optimizer::state();
    save_buffers(s, "sum", sum_);
    return s;
}

void Adagrad::load_state(const StateDict& s) {
    Optimizer::load_state(s);
    load_buffers(s, "sum", sum_);
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
