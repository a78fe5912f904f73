// SPDX-License-Identifier: MIT
// Elementwise arithmetic. The fusible functions (+ - * /, unary -, the
// scalar forms) are ops/pointwise's, deferred to a fused program while
// recording when elementwise fusion is on, else run at once; their
// derivatives are written there, once. The others have theirs here.
#include "arithmetic.hpp"

#include <xtensor/xmath.hpp>

#include "../autograd/record.hpp"
#include "../speed/fusion.hpp"
#include "pointwise.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
Tensor binary(Code c, const Operand& a, const Operand& b) {
    if (Tensor r = fusion::defer(c, a, b); r.defined()) return r;
    return pointwise::apply(c, a.t, &b.t, 0);
}
Tensor unary(Code c, const Operand& a, real s = 0) {
    if (Tensor r = fusion::defer(c, a, s); r.defined()) return r;
    return pointwise::apply(c, a.t, nullptr, s);
}
}  // namespace

Tensor add(Operand a, Operand b) { return binary(Code::Add, a, b); }
Tensor sub(Operand a, Operand b) { return binary(Code::Sub, a, b); }
Tensor mul(Operand a, Operand b) { return binary(Code::Mul, a, b); }
Tensor div(Operand a, Operand b) { return binary(Code::Div, a, b); }
Tensor neg(Operand a) { return unary(Code::Neg, a); }
Tensor add(Operand a, real s) { return unary(Code::AddS, a, s); }
Tensor mul(Operand a, real s) { return unary(Code::MulS, a, s); }
Tensor rsub(real s, Operand a) { return unary(Code::RSubS, a, s); }

// d(s/a)/da = -s/a^2 = -y/a
Tensor rdiv(real s, const Tensor& a) {
    return record("rdiv_scalar", s / a.value(), {a}, [](TensorImpl& y) {
        accumulate(*y.inputs[0], -y.grad * y.value / y.inputs[0]->value);
    });
}

// d(a^p)/da = p a^(p-1)
Tensor pow(const Tensor& a, real p) {
    return record("pow", xt::pow(a.value(), p), {a}, [p](TensorImpl& y) {
        const TensorImpl& a = *y.inputs[0];
        accumulate(*y.inputs[0], y.grad * p * xt::pow(a.value, p - 1));
    }, Output::unread);
}

// d(a^2)/da = 2a
Tensor square(const Tensor& a) {
    return record("square", a.value() * a.value(), {a}, [](TensorImpl& y) {
        accumulate(*y.inputs[0], real(2) * y.grad * y.inputs[0]->value);
    }, Output::unread);
}

// d max(a, b) = the gradient to whichever is larger (to a on a tie, as
// a >= b picks it): a subgradient, like relu's at 0.
Tensor maximum(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape())
        fail<ShapeError>("maximum: shapes {} and {} differ", shape_str(a.shape()), shape_str(b.shape()));
    return record("maximum", xt::maximum(a.value(), b.value()), {a, b}, [](TensorImpl& y) {
        const Array& av = y.inputs[0]->value;
        const Array& bv = y.inputs[1]->value;
        if (wants_grad(y, 0)) accumulate(*y.inputs[0], xt::where(av >= bv, y.grad, real(0)));
        if (wants_grad(y, 1)) accumulate(*y.inputs[1], xt::where(av >= bv, real(0), y.grad));
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
