// SPDX-License-Identifier: MIT
// Elementwise functions of one tensor. The fusible ones (sigmoid, tanh,
// exp, relu) are ops/pointwise's, with their derivatives there; the others
// have theirs here.
#include "unary.hpp"

#include <cmath>

#include <xtensor/xmath.hpp>

#include "../autograd/record.hpp"
#include "../speed/fusion.hpp"
#include "../speed/parallel.hpp"
#include "pointwise.hpp"
#include "vecmath.hpp"

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
    Array y = Array::from_shape(x.shape());
    const real* xv = x.data();
    parallel_for(y.size(), kElementGrain, [&](std::size_t lo, std::size_t hi) { vec_log(xv + lo, y.data() + lo, hi - lo); });
    return record("log", std::move(y), {x}, [](TensorImpl& y) {
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
// log_sigmoid(x) = -softplus(-x);             d log_sigmoid/dx = sigmoid(-x)
// (vectorised, rows of the tensor shared among the threads)
namespace {
Tensor signed_softplus(const char* op, const Tensor& x, real sign) {
    Array y = Array::from_shape(x.shape());
    const real* xv = x.data();
    parallel_for(y.size(), kElementGrain, [&](std::size_t lo, std::size_t hi) {
        vec_softplus(xv + lo, y.data() + lo, hi - lo, sign);
    });
    return record(op, std::move(y), {x}, [sign](TensorImpl& y) {
        const Array& xv = y.inputs[0]->value;
        Array d = Array::from_shape(xv.shape());
        parallel_for(d.size(), kElementGrain, [&](std::size_t lo, std::size_t hi) {
            real* dp = d.data() + lo;
            for (std::size_t k = 0; k < hi - lo; ++k) dp[k] = sign * xv.data()[lo + k];
            vec_sigmoid(dp, dp, hi - lo);  // sigmoid(sign * x)
            for (std::size_t k = 0; k < hi - lo; ++k) dp[k] *= y.grad.data()[lo + k];
        });
        accumulate(*y.inputs[0], std::move(d));
    }, Output::unread);
}
}  // namespace

Tensor softplus(const Tensor& x) { return signed_softplus("softplus", x, 1); }
Tensor log_sigmoid(const Tensor& x) { return signed_softplus("log_sigmoid", x, -1); }

namespace {
// y = f(x) elementwise, dx = g f'(x): for the activations without a fusible code
template <class F, class D>
Tensor pointwise_record(const char* op, const Tensor& x, F f, D d) {
    Array y = Array::from_shape(x.shape());
    const real* xv = x.data();
    parallel_for(y.size(), kElementGrain, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k) y.data()[k] = f(xv[k]);
    });
    return record(op, std::move(y), {x}, [d](TensorImpl& y) {
        const Array& xv = y.inputs[0]->value;
        Array dx = Array::from_shape(xv.shape());
        parallel_for(dx.size(), kElementGrain, [&](std::size_t lo, std::size_t hi) {
            for (std::size_t k = lo; k < hi; ++k) dx.data()[k] = y.grad.data()[k] * d(xv.data()[k]);
        });
        accumulate(*y.inputs[0], std::move(dx));
    }, Output::unread);
}
}  // namespace

// gelu(x) = x Phi(x):  d/dx = Phi(x) + x phi(x)
// tanh form, u = c (x + a x^3), t = tanh(u):  d/dx = (1 + t)/2 + x (1 - t^2) c (1 + 3 a x^2) / 2
// (both in vec_gelu / vec_gelu_slope, vectorised: one pass each way)
Tensor gelu(const Tensor& x, GeluForm form) {
    const bool tanh_form = form == GeluForm::Tanh;
    Array y = Array::from_shape(x.shape());
    parallel_for(y.size(), kElementGrain, [&](std::size_t lo, std::size_t hi) {
        vec_gelu(x.data() + lo, y.data() + lo, hi - lo, tanh_form);
    });
    return record(tanh_form ? "gelu_tanh" : "gelu", std::move(y), {x}, [tanh_form](TensorImpl& y) {
        const Array& xv = y.inputs[0]->value;
        Array dx = Array::from_shape(xv.shape());
        parallel_for(dx.size(), kElementGrain, [&](std::size_t lo, std::size_t hi) {
            vec_gelu_slope(xv.data() + lo, dx.data() + lo, hi - lo, tanh_form);
            for (std::size_t k = lo; k < hi; ++k) dx.data()[k] *= y.grad.data()[k];
        });
        accumulate(*y.inputs[0], std::move(dx));
    }, Output::unread);
}

// silu(x) = x s, s = sigmoid(x):  d/dx = s (1 + x (1 - s))
Tensor silu(const Tensor& x) {
    auto sig = [](real v) {
        const real e = std::exp(-std::abs(v));
        return v >= 0 ? 1 / (1 + e) : e / (1 + e);
    };
    return pointwise_record("silu", x, [sig](real v) { return v * sig(v); },
                            [sig](real v) { const real s = sig(v); return s * (1 + v * (1 - s)); });
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
