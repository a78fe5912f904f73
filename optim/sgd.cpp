#include "sgd.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), velocity_(add_buffers("velocity")) {
    if (o.nesterov && o.momentum <= 0) fail<ValueError>("SGD: nesterov needs momentum > 0");
}

void SGD::step() {
    ++steps_;
    for_each_gradient([&](std::size_t i, real* w, const real* g0, std::size_t k0, std::size_t k1) {
        real* v = velocity_[i].data();
        for (std::size_t k = k0; k < k1; ++k) {
            real g = g0[k] + o_.weight_decay * w[k];
            if (o_.momentum != 0) {
                v[k] = o_.momentum * v[k] + g;  // v starts at 0, so the first step gives v = g
                g = o_.nesterov ? g + o_.momentum * v[k] : v[k];
            }
            w[k] -= lr_ * g;
        }
    });
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
