// Binary ops broadcast; their gradients are summed back to each input's
// shape with sum_to (see broadcast.hpp). Same-shape operands -- every
// elementwise step inside a recurrent cell -- take a plain-loop path that
// the compiler vectorises and that allocates nothing in backward beyond what
// the input's gradient needs.
#include "arithmetic.hpp"

#include <xtensor/xmath.hpp>

#include "../autograd/tape.hpp"
#include "broadcast.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// The shape check that gives our message instead of xtensor's.
bool same_shape(const char* op, const Tensor& a, const Tensor& b) {
    if (a.shape() == b.shape()) return true;
    broadcast_shapes(op, a.shape(), b.shape());
    return false;
}

template <class F>
Array zip(const Tensor& a, const Tensor& b, F f) {
    Array y = Array::from_shape(a.shape());
    const real* pa = a.data();
    const real* pb = b.data();
    real* py = y.data();
    for (std::size_t i = 0, n = y.size(); i < n; ++i) py[i] = f(pa[i], pb[i]);
    return y;
}

// dInput_i += dY for same-shape operands (add, and sub's first input)
void pass_grad(TensorImpl& y, std::size_t i, bool last) {
    TensorImpl& in = *y.inputs[i];
    if (!in.requires_grad) return;
    if (in.has_grad) in.grad += y.grad;
    else accumulate(in, last ? take_grad(y) : Array(y.grad));
}
}  // namespace

// d(a+b)/da = 1, d(a+b)/db = 1
Tensor add(Operand a_, Operand b_) {
    if (Tensor r = fusion::defer(fusion::Code::Add, a_, b_); r.defined()) return r;
    const Tensor &a = a_.t, &b = b_.t;
    if (same_shape("add", a, b))
        return record("add", zip(a, b, [](real x, real y) { return x + y; }), {a, b}, [](TensorImpl& y) {
            pass_grad(y, 0, false);
            pass_grad(y, 1, true);
        }, kReadsNothing);
    return record("add", a.value() + b.value(), {a, b}, [](TensorImpl& y) {
        for (std::size_t i = 0; i < 2; ++i)
            if (wants_grad(y, i)) accumulate(*y.inputs[i], sum_to(y.grad, y.inputs[i]->value.shape()));
    }, kReadsNothing);
}

// d(a-b)/da = 1, d(a-b)/db = -1
Tensor sub(Operand a_, Operand b_) {
    if (Tensor r = fusion::defer(fusion::Code::Sub, a_, b_); r.defined()) return r;
    const Tensor &a = a_.t, &b = b_.t;
    if (same_shape("sub", a, b))
        return record("sub", zip(a, b, [](real x, real y) { return x - y; }), {a, b}, [](TensorImpl& y) {
            pass_grad(y, 0, false);
            elementwise_backward(y, *y.inputs[1], [](std::size_t) { return real(-1); });
        }, kReadsNothing);
    return record("sub", a.value() - b.value(), {a, b}, [](TensorImpl& y) {
        auto& a = *y.inputs[0];
        auto& b = *y.inputs[1];
        if (a.requires_grad) accumulate(a, sum_to(y.grad, a.value.shape()));
        if (b.requires_grad) accumulate(b, sum_to(-y.grad, b.value.shape()));
    }, kReadsNothing);
}

// d(a*b)/da = b, d(a*b)/db = a
Tensor mul(Operand a_, Operand b_) {
    if (Tensor r = fusion::defer(fusion::Code::Mul, a_, b_); r.defined()) return r;
    const Tensor &a = a_.t, &b = b_.t;
    if (same_shape("mul", a, b))
        return record("mul", zip(a, b, [](real x, real y) { return x * y; }), {a, b}, [](TensorImpl& y) {
            const real* av = y.inputs[0]->value.data();
            const real* bv = y.inputs[1]->value.data();
            elementwise_backward(y, *y.inputs[0], [bv](std::size_t k) { return bv[k]; }, /*last=*/false);
            elementwise_backward(y, *y.inputs[1], [av](std::size_t k) { return av[k]; });
        }, reads_inputs(0b11));
    return record("mul", a.value() * b.value(), {a, b}, [](TensorImpl& y) {
        auto& a = *y.inputs[0];
        auto& b = *y.inputs[1];
        if (a.requires_grad) accumulate(a, sum_to(y.grad * b.value, a.value.shape()));
        if (b.requires_grad) accumulate(b, sum_to(y.grad * a.value, b.value.shape()));
    }, reads_inputs(0b11));
}

// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
Tensor div(Operand a_, Operand b_) {
    if (Tensor r = fusion::defer(fusion::Code::Div, a_, b_); r.defined()) return r;
    const Tensor &a = a_.t, &b = b_.t;
    if (same_shape("div", a, b))
        return record("div", zip(a, b, [](real x, real y) { return x / y; }), {a, b}, [](TensorImpl& y) {
            const real* av = y.inputs[0]->value.data();
            const real* bv = y.inputs[1]->value.data();
            elementwise_backward(y, *y.inputs[0], [bv](std::size_t k) { return real(1) / bv[k]; }, /*last=*/false);
            elementwise_backward(y, *y.inputs[1], [av, bv](std::size_t k) { return -av[k] / (bv[k] * bv[k]); });
        }, reads_inputs(0b11));
    return record("div", a.value() / b.value(), {a, b}, [](TensorImpl& y) {
        auto& a = *y.inputs[0];
        auto& b = *y.inputs[1];
        if (a.requires_grad) accumulate(a, sum_to(y.grad / b.value, a.value.shape()));
        if (b.requires_grad) accumulate(b, sum_to(-y.grad * a.value / (b.value * b.value), b.value.shape()));
    }, reads_inputs(0b11));
}

// d(-a)/da = -1
Tensor neg(Operand a_) {
    if (Tensor r = fusion::defer(fusion::Code::Neg, a_); r.defined()) return r;
    const Tensor& a = a_.t;
    return record("neg", -a.value(), {a}, [](TensorImpl& y) {
        elementwise_backward(y, *y.inputs[0], [](std::size_t) { return real(-1); });
    }, kReadsNothing);
}

// d(a+s)/da = 1
Tensor add(Operand a_, real s) {
    if (Tensor r = fusion::defer(fusion::Code::AddS, a_, s); r.defined()) return r;
    const Tensor& a = a_.t;
    return record("add_scalar", a.value() + s, {a}, [](TensorImpl& y) { pass_grad(y, 0, true); }, kReadsNothing);
}

// d(a*s)/da = s
Tensor mul(Operand a_, real s) {
    if (Tensor r = fusion::defer(fusion::Code::MulS, a_, s); r.defined()) return r;
    const Tensor& a = a_.t;
    return record("mul_scalar", a.value() * s, {a}, [s](TensorImpl& y) {
        elementwise_backward(y, *y.inputs[0], [s](std::size_t) { return s; });
    }, kReadsNothing);
}

// d(s-a)/da = -1
Tensor rsub(real s, Operand a_) {
    if (Tensor r = fusion::defer(fusion::Code::RSubS, a_, s); r.defined()) return r;
    const Tensor& a = a_.t;
    return record("rsub_scalar", s - a.value(), {a}, [](TensorImpl& y) {
        elementwise_backward(y, *y.inputs[0], [](std::size_t) { return real(-1); });
    }, kReadsNothing);
}

// d(s/a)/da = -s/a^2 = -y/a
Tensor rdiv(real s, const Tensor& a) {
    return record("rdiv_scalar", s / a.value(), {a}, [](TensorImpl& y) {
        const real* yv = y.value.data();
        const real* av = y.inputs[0]->value.data();
        elementwise_backward(y, *y.inputs[0], [yv, av](std::size_t k) { return -yv[k] / av[k]; });
    }, Reads{true, 0b1});
}

// d(a^p)/da = p a^(p-1)
Tensor pow(const Tensor& a, real p) {
    return record("pow", xt::pow(a.value(), p), {a}, [p](TensorImpl& y) {
        auto& a = *y.inputs[0];
        accumulate(a, y.grad * p * xt::pow(a.value, p - 1));
    }, reads_inputs(0b1));
}

// d(a^2)/da = 2a
Tensor square(const Tensor& a) {
    return record("square", a.value() * a.value(), {a}, [](TensorImpl& y) {
        const real* av = y.inputs[0]->value.data();
        elementwise_backward(y, *y.inputs[0], [av](std::size_t k) { return real(2) * av[k]; });
    }, reads_inputs(0b1));
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
