// Elementwise functions: forward through the vectorised kernels where there
// are transcendental functions, backward as one fused pass each.
#include "unary.hpp"

#include <cmath>
#include <xtensor/xmath.hpp>

#include "../autograd/tape.hpp"
#include "vecmath.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
template <class Kernel>
Array map(const Tensor& x, Kernel k) {
    Array y = Array::from_shape(x.shape());
    k(x.data(), y.data(), x.numel());
    return y;
}
}  // namespace

// d exp(x)/dx = exp(x) = y
Tensor exp(Operand x_) {
    if (Tensor r = fusion::defer(fusion::Code::Exp, x_); r.defined()) return r;
    const Tensor& x = x_.t;
    return record("exp", map(x, vec_exp), {x}, [](TensorImpl& y) {
        const real* v = y.value.data();
        elementwise_backward(y, *y.inputs[0], [v](std::size_t i) { return v[i]; });
    }, kReadsOutput);
}

// d log(x)/dx = 1/x
Tensor log(const Tensor& x) {
    return record("log", xt::log(x.value()), {x}, [](TensorImpl& y) {
        const real* xv = y.inputs[0]->value.data();
        elementwise_backward(y, *y.inputs[0], [xv](std::size_t i) { return real(1) / xv[i]; });
    }, reads_inputs(0b1));
}

// d sqrt(x)/dx = 1/(2 sqrt(x)) = 1/(2y)
Tensor sqrt(const Tensor& x) {
    return record("sqrt", xt::sqrt(x.value()), {x}, [](TensorImpl& y) {
        const real* v = y.value.data();
        elementwise_backward(y, *y.inputs[0], [v](std::size_t i) { return real(0.5) / v[i]; });
    }, kReadsOutput);
}

// d|x|/dx = sign(x)   (0 at x = 0, as PyTorch)
Tensor abs(const Tensor& x) {
    return record("abs", xt::abs(x.value()), {x}, [](TensorImpl& y) {
        const real* xv = y.inputs[0]->value.data();
        elementwise_backward(y, *y.inputs[0],
                             [xv](std::size_t i) { return real((xv[i] > 0) - (xv[i] < 0)); });
    }, reads_inputs(0b1));
}

// d tanh(x)/dx = 1 - tanh(x)^2 = 1 - y^2
Tensor tanh(Operand x_) {
    if (Tensor r = fusion::defer(fusion::Code::Tanh, x_); r.defined()) return r;
    const Tensor& x = x_.t;
    return record("tanh", map(x, vec_tanh), {x}, [](TensorImpl& y) {
        const real* v = y.value.data();
        elementwise_backward(y, *y.inputs[0], [v](std::size_t i) { return real(1) - v[i] * v[i]; });
    }, kReadsOutput);
}

// d sigma(x)/dx = sigma(x) (1 - sigma(x)) = y (1 - y)
Tensor sigmoid(Operand x_) {
    if (Tensor r = fusion::defer(fusion::Code::Sigmoid, x_); r.defined()) return r;
    const Tensor& x = x_.t;
    return record("sigmoid", map(x, vec_sigmoid), {x}, [](TensorImpl& y) {
        const real* v = y.value.data();
        elementwise_backward(y, *y.inputs[0], [v](std::size_t i) { return v[i] * (real(1) - v[i]); });
    }, kReadsOutput);
}

// d relu(x)/dx = 1 if x > 0 else 0
Tensor relu(Operand x_) {
    if (Tensor r = fusion::defer(fusion::Code::Relu, x_); r.defined()) return r;
    const Tensor& x = x_.t;
    return record("relu", xt::maximum(x.value(), real(0)), {x}, [](TensorImpl& y) {
        const real* xv = y.inputs[0]->value.data();
        elementwise_backward(y, *y.inputs[0], [xv](std::size_t i) { return real(xv[i] > 0); });
    }, reads_inputs(0b1));
}

// d clamp(x)/dx = 1 if lo <= x <= hi else 0
Tensor clamp(const Tensor& x, real lo, real hi) {
    if (!(lo <= hi)) fail<ValueError>("clamp: lower bound {} is greater than upper bound {}", lo, hi);
    return record("clamp", xt::clip(x.value(), lo, hi), {x}, [lo, hi](TensorImpl& y) {
        const real* xv = y.inputs[0]->value.data();
        elementwise_backward(y, *y.inputs[0], [xv, lo, hi](std::size_t i) { return real(xv[i] >= lo && xv[i] <= hi); });
    }, reads_inputs(0b1));
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
