// SPDX-License-Identifier: MIT
// Reductions see a tensor as [outer, n, inner] around the reduced axis.
#include "reduce.hpp"

#include <vector>

#include "../autograd/record.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
struct Axis3 {
    std::size_t outer = 1, n = 1, inner = 1;
    Shape out;
};

Axis3 around(const char* op, const Tensor& x, std::ptrdiff_t axis, bool keepdims) {
    const std::size_t a = normalize_axis(op, axis, x.dim());
    const Shape& s = x.shape();
    Axis3 r;
    for (std::size_t i = 0; i < a; ++i) r.outer *= s[i];
    r.n = s[a];
    for (std::size_t i = a + 1; i < s.size(); ++i) r.inner *= s[i];
    for (std::size_t i = 0; i < s.size(); ++i)
        if (i != a) r.out.push_back(s[i]);
        else if (keepdims) r.out.push_back(1);
    return r;
}

// y = scale * sum over the axis;  dx[o, j, i] += scale * dy[o, i]
Tensor scaled_axis_sum(const char* op, const Tensor& x, std::ptrdiff_t axis, bool keepdims, bool average) {
    const Axis3 g = around(op, x, axis, keepdims);
    const real scale = average ? (g.n ? real(1) / real(g.n) : real(0)) : real(1);
    Array y(g.out, real(0));
    const real* xv = x.data();
    real* yv = y.data();
    for (std::size_t o = 0; o < g.outer; ++o)
        for (std::size_t j = 0; j < g.n; ++j)
            for (std::size_t i = 0; i < g.inner; ++i) yv[o * g.inner + i] += xv[(o * g.n + j) * g.inner + i];
    if (average) y *= scale;
    return record(op, std::move(y), {unread(x)}, [g, scale](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data;
        const real* dy = y.grad.data();
        for (std::size_t o = 0; o < g.outer; ++o)
            for (std::size_t j = 0; j < g.n; ++j)
                for (std::size_t i = 0; i < g.inner; ++i) dx[(o * g.n + j) * g.inner + i] += scale * dy[o * g.inner + i];
    }, Output::unread);
}

// y = scale * sum(x)  =>  dx = scale * dy everywhere
Tensor scaled_total(const char* op, const Tensor& x, bool average) {
    const std::size_t n = x.numel();
    const real scale = average ? (n ? real(1) / real(n) : real(0)) : real(1);
    double acc = 0;  // double accumulator: a float sum of 1e6 terms loses digits
    const real* xd = x.data();
    for (std::size_t k = 0; k < n; ++k) acc += xd[k];
    return record(op, Array(static_cast<real>(acc * scale)), {unread(x)}, [scale](TensorImpl& y) {
        TensorImpl& in = *y.inputs[0];
        accumulate(in, Array(in.value.shape(), scale * y.grad.data()[0]));
    }, Output::unread);
}
}  // namespace

Tensor sum(const Tensor& x) { return scaled_total("sum", x, false); }
Tensor mean(const Tensor& x) { return scaled_total("mean", x, true); }
Tensor sum(const Tensor& x, std::ptrdiff_t axis, bool keepdims) {
    return scaled_axis_sum("sum_axis", x, axis, keepdims, false);
}
Tensor mean(const Tensor& x, std::ptrdiff_t axis, bool keepdims) {
    return scaled_axis_sum("mean_axis", x, axis, keepdims, true);
}

// y[o, i] = max_j x[o, j, i]  =>  dx[o, argmax, i] += dy[o, i]
Tensor max(const Tensor& x, std::ptrdiff_t axis, bool keepdims) {
    const Axis3 g = around("max", x, axis, keepdims);
    if (g.n == 0) fail<ValueError>("max: axis {} of shape {} is empty", axis, shape_str(x.shape()));
    Array y = Array::from_shape(g.out);
    std::vector<std::size_t> arg(g.outer * g.inner);
    const real* xv = x.data();
    for (std::size_t o = 0; o < g.outer; ++o)
        for (std::size_t i = 0; i < g.inner; ++i) {
            std::size_t best = 0;
            for (std::size_t j = 1; j < g.n; ++j)
                if (xv[(o * g.n + j) * g.inner + i] > xv[(o * g.n + best) * g.inner + i]) best = j;
            arg[o * g.inner + i] = best;
            y.data()[o * g.inner + i] = xv[(o * g.n + best) * g.inner + i];
        }
    return record("max", std::move(y), {unread(x)}, [g, arg = std::move(arg)](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data;
        for (std::size_t o = 0; o < g.outer; ++o)
            for (std::size_t i = 0; i < g.inner; ++i)
                dx[(o * g.n + arg[o * g.inner + i]) * g.inner + i] += y.grad.data()[o * g.inner + i];
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
