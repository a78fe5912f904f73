#include "unary.hpp"

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "../autograd/tape.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// d exp(x)/dx = exp(x) = y
Tensor exp(const Tensor& x) {
    return record("exp", xt::exp(x.value()), {x}, [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * y.value); });
}

// d log(x)/dx = 1/x
Tensor log(const Tensor& x) {
    return record("log", xt::log(x.value()), {x},
                  [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad / y.inputs[0]->value); });
}

// d sqrt(x)/dx = 1/(2 sqrt(x)) = 1/(2y)
Tensor sqrt(const Tensor& x) {
    return record("sqrt", xt::sqrt(x.value()), {x},
                  [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad / (real(2) * y.value)); });
}

// d|x|/dx = sign(x)   (0 at x = 0, as PyTorch)
Tensor abs(const Tensor& x) {
    return record("abs", xt::abs(x.value()), {x},
                  [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * xt::sign(y.inputs[0]->value)); });
}

// d tanh(x)/dx = 1 - tanh(x)^2 = 1 - y^2
Tensor tanh(const Tensor& x) {
    return record("tanh", xt::tanh(x.value()), {x},
                  [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * (real(1) - y.value * y.value)); });
}

// d sigma(x)/dx = sigma(x) (1 - sigma(x)) = y (1 - y)
Tensor sigmoid(const Tensor& x) {
    return record("sigmoid", real(1) / (real(1) + xt::exp(-x.value())), {x},
                  [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * y.value * (real(1) - y.value)); });
}

// d relu(x)/dx = 1 if x > 0 else 0
Tensor relu(const Tensor& x) {
    return record("relu", xt::maximum(x.value(), real(0)), {x}, [](TensorImpl& y) {
        accumulate(*y.inputs[0], xt::where(y.inputs[0]->value > real(0), y.grad, real(0)));
    });
}

// d clamp(x)/dx = 1 if lo <= x <= hi else 0
Tensor clamp(const Tensor& x, real lo, real hi) {
    if (!(lo <= hi)) fail<ValueError>("clamp: lower bound {} is greater than upper bound {}", lo, hi);
    return record("clamp", xt::clip(x.value(), lo, hi), {x}, [lo, hi](TensorImpl& y) {
        const auto& xv = y.inputs[0]->value;
        accumulate(*y.inputs[0], xt::where(xv >= lo && xv <= hi, y.grad, real(0)));
    });
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
