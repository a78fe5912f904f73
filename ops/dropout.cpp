// SPDX-License-Identifier: MIT
#include "dropout.hpp"

#include "../autograd/record.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// y = x * m / (1-p), m ~ Bernoulli(1-p)  =>  dx = dy * m / (1-p)
Tensor dropout(const Tensor& x, real p, bool training, Generator& gen) {
    if (!(p >= 0 && p < 1)) fail<ValueError>("dropout: probability {} is outside [0, 1)", p);
    if (!training || p == 0) return x;
    Array mask = Array::from_shape(x.shape());
    const real keep = real(1) / (real(1) - p);
    for (auto& m : mask) m = gen.bernoulli(1.0 - double(p)) ? keep : real(0);
    Array y = x.value() * mask;
    return record("dropout", std::move(y), {unread(x)},
                  [mask = std::move(mask)](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * mask); }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
