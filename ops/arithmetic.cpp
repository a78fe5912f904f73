// Binary ops broadcast; their gradients are summed back to each input's
// shape with sum_to (see broadcast.hpp).
#include "arithmetic.hpp"

#include <xtensor/xmath.hpp>

#include "../autograd/tape.hpp"
#include "broadcast.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// The shape check that gives our message instead of xtensor's.
void check_broadcast(const char* op, const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) broadcast_shapes(op, a.shape(), b.shape());
}
}  // namespace

// d(a+b)/da = 1, d(a+b)/db = 1
Tensor add(const Tensor& a, const Tensor& b) {
    check_broadcast("add", a, b);
    return record("add", a.value() + b.value(), {a, b}, [](TensorImpl& y) {
        for (std::size_t i = 0; i < 2; ++i)
            if (wants_grad(y, i)) accumulate(*y.inputs[i], sum_to(y.grad, y.inputs[i]->value.shape()));
    });
}

// d(a-b)/da = 1, d(a-b)/db = -1
Tensor sub(const Tensor& a, const Tensor& b) {
    check_broadcast("sub", a, b);
    return record("sub", a.value() - b.value(), {a, b}, [](TensorImpl& y) {
        auto& a = *y.inputs[0];
        auto& b = *y.inputs[1];
        if (a.requires_grad) accumulate(a, sum_to(y.grad, a.value.shape()));
        if (b.requires_grad) accumulate(b, sum_to(-y.grad, b.value.shape()));
    });
}

// d(a*b)/da = b, d(a*b)/db = a
Tensor mul(const Tensor& a, const Tensor& b) {
    check_broadcast("mul", a, b);
    return record("mul", a.value() * b.value(), {a, b}, [](TensorImpl& y) {
        auto& a = *y.inputs[0];
        auto& b = *y.inputs[1];
        if (a.requires_grad) accumulate(a, sum_to(y.grad * b.value, a.value.shape()));
        if (b.requires_grad) accumulate(b, sum_to(y.grad * a.value, b.value.shape()));
    });
}

// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
Tensor div(const Tensor& a, const Tensor& b) {
    check_broadcast("div", a, b);
    return record("div", a.value() / b.value(), {a, b}, [](TensorImpl& y) {
        auto& a = *y.inputs[0];
        auto& b = *y.inputs[1];
        if (a.requires_grad) accumulate(a, sum_to(y.grad / b.value, a.value.shape()));
        if (b.requires_grad) accumulate(b, sum_to(-y.grad * a.value / (b.value * b.value), b.value.shape()));
    });
}

// d(-a)/da = -1
Tensor neg(const Tensor& a) {
    return record("neg", -a.value(), {a}, [](TensorImpl& y) { accumulate(*y.inputs[0], -y.grad); });
}

// d(a+s)/da = 1
Tensor add(const Tensor& a, real s) {
    return record("add_scalar", a.value() + s, {a}, [](TensorImpl& y) { accumulate(*y.inputs[0], y.grad); });
}

// d(a*s)/da = s
Tensor mul(const Tensor& a, real s) {
    return record("mul_scalar", a.value() * s, {a}, [s](TensorImpl& y) { accumulate(*y.inputs[0], y.grad * s); });
}

// d(s-a)/da = -1
Tensor rsub(real s, const Tensor& a) {
    return record("rsub_scalar", s - a.value(), {a}, [](TensorImpl& y) { accumulate(*y.inputs[0], -y.grad); });
}

// d(s/a)/da = -s/a^2 = -y/a
Tensor rdiv(real s, const Tensor& a) {
    return record("rdiv_scalar", s / a.value(), {a}, [](TensorImpl& y) {
        auto& a = *y.inputs[0];
        accumulate(a, -y.grad * y.value / a.value);
    });
}

// d(a^p)/da = p a^(p-1)
Tensor pow(const Tensor& a, real p) {
    return record("pow", xt::pow(a.value(), p), {a}, [p](TensorImpl& y) {
        auto& a = *y.inputs[0];
        accumulate(a, y.grad * p * xt::pow(a.value, p - 1));
    });
}

// d(a^2)/da = 2a
Tensor square(const Tensor& a) {
    return record("square", a.value() * a.value(), {a}, [](TensorImpl& y) {
        auto& a = *y.inputs[0];
        accumulate(a, y.grad * real(2) * a.value);
    });
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
