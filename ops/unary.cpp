// SPDX-License-Identifier: MIT
// Elementwise functions of one tensor. The fusible ones (sigmoid, tanh,
// exp, relu) are ops/pointwise's, with their derivatives there; the others
// have theirs here.
#include "unary.hpp"

#include <cmath>

#include <xtensor/xmath.hpp>

#include "../autograd/record.hpp"
#include "../speed/fusion.hpp"
#include "pointwise.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
Tensor fusible(Code c, const Operand& x) {
    if (Tensor r = fusion::defer(c, x); r.defined()) return r;
    return pointwise::apply(c, x.t, nullptr, 0);
}
}  // namespace

Tensor exp(Operand x) { return fusible(Code::Exp, x); }
Tensor tanh(Operand x) { return fusible(Code::Tanh, x); }
Tensor sigmoid(Operand x) { return fusible(Code::Sigmoid, x); }
Tensor relu(Operand x) { return fusible(Code::Relu, x); }

// d log(x)/dx = 1/x
Tensor log(const Tensor& x) {
    return record("log", xt::log(x.value()), {x}, [](TensorImpl& y) {
        accumulate(*y.inputs[0], y.grad / y.inputs[0]->value);
    }, Output::unread);
}

// d sqrt(x)/dx = 1/(2 sqrt(x)) = 1/(2y)   (the example in autograd/record.hpp)
Tensor sqrt(const Tensor& x) {
    return record("sqrt", xt::sqrt(x.value()), {unread(x)}, [](TensorImpl& y) {
        accumulate(*y.inputs[0], real(0.5) * y.grad / y.value);
    });
}

// d|x|/dx = sign(x)   (0 at x = 0, as PyTorch)
Tensor abs(const Tensor& x) {
    return record("abs", xt::abs(x.value()), {x}, [](TensorImpl& y) {
        accumulate(*y.inputs[0], y.grad * xt::sign(y.inputs[0]->value));
    }, Output::unread);
}

// softplus(x) = max(x, 0) + log1p(e^-|x|);  d softplus/dx = sigmoid(x)
// log_sigmoid(x) = min(x, 0) - log1p(e^-|x|);  d log_sigmoid/dx = sigmoid(-x) = 1 - sigmoid(x)
namespace {
real stable_sigmoid(real v) {  // never exp of a large positive number
    const real e = std::exp(-std::abs(v));
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}
}  // namespace

Tensor softplus(const Tensor& x) {
    Array y = xt::maximum(x.value(), real(0)) + xt::log1p(xt::exp(-xt::abs(x.value())));
    return record("softplus", std::move(y), {x}, [](TensorImpl& y) {
        const Array& xv = y.inputs[0]->value;
        Array d = Array::from_shape(xv.shape());
        for (std::size_t k = 0; k < xv.size(); ++k) d.data()[k] = y.grad.data()[k] * stable_sigmoid(xv.data()[k]);
        accumulate(*y.inputs[0], std::move(d));
    }, Output::unread);
}

Tensor log_sigmoid(const Tensor& x) {
    Array y = xt::minimum(x.value(), real(0)) - xt::log1p(xt::exp(-xt::abs(x.value())));
    return record("log_sigmoid", std::move(y), {x}, [](TensorImpl& y) {
        const Array& xv = y.inputs[0]->value;
        Array d = Array::from_shape(xv.shape());
        for (std::size_t k = 0; k < xv.size(); ++k) d.data()[k] = y.grad.data()[k] * stable_sigmoid(-xv.data()[k]);
        accumulate(*y.inputs[0], std::move(d));
    }, Output::unread);
}

// d clamp(x)/dx = 1 if lo <= x <= hi else 0
Tensor clamp(const Tensor& x, real lo, real hi) {
    if (!(lo <= hi)) fail<ValueError>("clamp: lower bound {} is greater than upper bound {}", lo, hi);
    return record("clamp", xt::clip(x.value(), lo, hi), {x}, [lo, hi](TensorImpl& y) {
        const Array& xv = y.inputs[0]->value;
        accumulate(*y.inputs[0], xt::where(xv >= lo && xv <= hi, y.grad, real(0)));
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
