// SPDX-License-Identifier: MIT
#include "softmax.hpp"

#include <cmath>
#include <vector>

#include "../speed/parallel.hpp"
#include "../autograd/record.hpp"
#include "lanes.hpp"
#include "vecmath.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {

// out = x - max - log(sum exp(x - max)) along each lane (log-softmax), then
// exponentiated if `probabilities`.
Array softmax_forward(const Tensor& x, const Lanes& l, bool probabilities) {
    Array y = Array::from_shape(x.shape());
    if (l.outer * l.n * l.inner == 0) return y;  // an empty axis or batch: an empty result, as in NumPy
    const real* xv = x.data();
    real* yv = y.data();
    if (l.inner == 1) {  // contiguous lanes (the last axis): vectorised, rows shared among the threads
        const std::size_t n = l.n;
        parallel_for(l.outer, rows_per_grain(8 * n), [&](std::size_t lo, std::size_t hi) {
            for (std::size_t o = lo; o < hi; ++o) {
                const real* xr = xv + o * n;
                real* yr = yv + o * n;
                const ExpRow e = vec_exp_row(xr, yr, n);
                if (probabilities) {
                    const real inv = real(1) / e.sum;
                    for (std::size_t j = 0; j < n; ++j) yr[j] *= inv;
                } else {
                    const real lz = std::log(e.sum);
                    for (std::size_t j = 0; j < n; ++j) yr[j] = (xr[j] - e.max) - lz;
                }
            }
        });
        return y;
    }
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            const std::size_t base = o * l.n * l.inner + i;
            real m = xv[base];
            for (std::size_t j = 1; j < l.n; ++j) m = std::max(m, xv[base + j * l.inner]);
            real z = 0;
            for (std::size_t j = 0; j < l.n; ++j) z += std::exp(xv[base + j * l.inner] - m);
            const real lz = std::log(z);
            for (std::size_t j = 0; j < l.n; ++j) {
                // (x - m) first: x - (m + lz) would round lz away when |m| is large
                const real ls = (xv[base + j * l.inner] - m) - lz;
                yv[base + j * l.inner] = probabilities ? std::exp(ls) : ls;
            }
        }
    return y;
}
// y = softmax(x)  =>  dx = y * (dy - sum_j(dy_j y_j))
void softmax_backward(const Lanes& l, TensorImpl& y) {
    real* dx = grad_into(*y.inputs[0], true).data;
    const real* dy = y.grad.data();
    const real* yv = y.value.data();
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            const std::size_t base = o * l.n * l.inner + i;
            real dot = 0;
            for (std::size_t j = 0; j < l.n; ++j) dot += dy[base + j * l.inner] * yv[base + j * l.inner];
            for (std::size_t j = 0; j < l.n; ++j) {
                const std::size_t k = base + j * l.inner;
                dx[k] += yv[k] * (dy[k] - dot);
            }
        }
}
}  // namespace


Tensor softmax(const Tensor& x, std::ptrdiff_t axis) {
    const Lanes l = lanes("softmax", x, axis);
    return record("softmax", softmax_forward(x, l, true), {unread(x)}, [l](TensorImpl& y) { softmax_backward(l, y); });
}

// The same over the positions where mask != 0; the others get exactly 0
// (masked_softmax_row in vecmath.hpp). The gradient is softmax's: at a
// masked position y = 0, so dx = y * (dy - dot) = 0 there, and the mask
// gets none (a constant).
Tensor masked_softmax(const Tensor& x, const Tensor& mask, std::ptrdiff_t axis) {
    const Lanes l = lanes("masked_softmax", x, axis);
    if (!mask.defined() || mask.shape() != x.shape())
        fail("masked_softmax: mask {} does not have the scores' shape {}",
             mask.defined() ? shape_str(mask.shape()) : std::string("(undefined)"), shape_str(x.shape()));
    Array y = Array::from_shape(x.shape());
    if (l.inner == 1) {  // contiguous rows (the last axis, attention's case): no copies, shared among the threads
        const std::size_t n = l.n;
        parallel_for(l.outer, rows_per_grain(8 * n), [&](std::size_t lo, std::size_t hi) {
            for (std::size_t o = lo; o < hi; ++o) masked_softmax_row(x.data() + o * n, mask.data() + o * n, y.data() + o * n, n);
        });
        return record("masked_softmax", std::move(y), {unread(x)}, [l](TensorImpl& y) { softmax_backward(l, y); });
    }
    std::vector<real> xs(l.n), ms(l.n), ys(l.n);
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            const std::size_t base = o * l.n * l.inner + i;
            for (std::size_t j = 0; j < l.n; ++j) {
                xs[j] = x.data()[base + j * l.inner];
                ms[j] = mask.data()[base + j * l.inner];
            }
            masked_softmax_row(xs.data(), ms.data(), ys.data(), l.n);
            for (std::size_t j = 0; j < l.n; ++j) y.data()[base + j * l.inner] = ys[j];
        }
    return record("masked_softmax", std::move(y), {unread(x)}, [l](TensorImpl& y) { softmax_backward(l, y); });
}

// y = log sum_j e^(x_j)  =>  dx_j = dy e^(x_j - y) = dy softmax(x)_j
Tensor logsumexp(const Tensor& x, std::ptrdiff_t axis, bool keepdims) {
    const Lanes l = lanes("logsumexp", x, axis);
    if (l.n == 0) fail<ValueError>("logsumexp: the axis is empty (input {}): the log of an empty sum", shape_str(x.shape()));
    Shape out = x.shape();
    const std::size_t a = normalize_axis("logsumexp", axis, x.dim());
    if (keepdims) out[a] = 1;
    else out.erase(out.begin() + std::ptrdiff_t(a));
    Array y = Array::from_shape(out);
    const real* xv = x.data();
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            const std::size_t base = l.start(o, i);
            real m = xv[base];
            for (std::size_t j = 1; j < l.n; ++j) m = std::max(m, xv[base + j * l.inner]);
            real z = 0;
            for (std::size_t j = 0; j < l.n; ++j) z += std::exp(xv[base + j * l.inner] - m);
            y.data()[o * l.inner + i] = std::isinf(m) ? m : m + std::log(z);
        }
    return record("logsumexp", std::move(y), {x}, [l](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data;
        const real* xv = y.inputs[0]->value.data();
        for (std::size_t o = 0; o < l.outer; ++o)
            for (std::size_t i = 0; i < l.inner; ++i) {
                const std::size_t base = l.start(o, i), r = o * l.inner + i;
                const real yr = y.value.data()[r], gr = y.grad.data()[r];
                for (std::size_t j = 0; j < l.n; ++j) dx[base + j * l.inner] += gr * std::exp(xv[base + j * l.inner] - yr);
            }
    });
}

// y = log_softmax(x)  =>  dx = dy - exp(y) * sum_j(dy_j)
Tensor log_softmax(const Tensor& x, std::ptrdiff_t axis) {
    const Lanes l = lanes("log_softmax", x, axis);
    return record("log_softmax", softmax_forward(x, l, false), {unread(x)}, [l](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data;
        const real* dy = y.grad.data();
        const real* yv = y.value.data();
        for (std::size_t o = 0; o < l.outer; ++o)
            for (std::size_t i = 0; i < l.inner; ++i) {
                const std::size_t base = o * l.n * l.inner + i;
                real s = 0;
                for (std::size_t j = 0; j < l.n; ++j) s += dy[base + j * l.inner];
                for (std::size_t j = 0; j < l.n; ++j) {
                    const std::size_t k = base + j * l.inner;
                    dx[k] += dy[k] - std::exp(yv[k]) * s;
                }
            }
    });
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
