// SPDX-License-Identifier: MIT
#include "scan.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "../autograd/record.hpp"
#include "../speed/parallel.hpp"
#include "lanes.hpp"
#include "vecmath.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// Runs fn(o, lo, hi) over every outer index and slabs [lo, hi) of the
// lanes: a scan walks j = 0..n-1 over rows of `inner` neighbouring lanes,
// which the threads share by slabs (each lane's scan is independent).
template <class F>
void over_lanes(const Lanes& l, F&& fn) {
    parallel_for(l.inner, std::max<std::size_t>(1, kElementGrain / std::max<std::size_t>(l.n, 1)),
                 [&](std::size_t lo, std::size_t hi) {
                     for (std::size_t o = 0; o < l.outer; ++o) fn(o, lo, hi);
                 });
}
}  // namespace

// y_j = sum_{k <= j} x_k  =>  dx_k = sum_{j >= k} dy_j, the same scan run backwards
Tensor cumsum(const Tensor& x, std::ptrdiff_t axis) {
    const Lanes l = lanes("cumsum", x, axis);
    Array y = Array::from_shape(x.shape());
    const real* xv = x.data();
    real* yv = y.data();
    over_lanes(l, [&](std::size_t o, std::size_t lo, std::size_t hi) {
        for (std::size_t j = 0; j < l.n; ++j) {
            const std::size_t row = l.start(o, 0) + j * l.inner;
            for (std::size_t i = lo; i < hi; ++i) yv[row + i] = (j ? yv[row - l.inner + i] : real(0)) + xv[row + i];
        }
    });
    return record("cumsum", std::move(y), {unread(x)}, [l](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data;
        const real* dy = y.grad.data();
        over_lanes(l, [&](std::size_t o, std::size_t lo, std::size_t hi) {
            std::vector<real> run(hi - lo, real(0));
            for (std::size_t j = l.n; j-- > 0;) {
                const std::size_t row = l.start(o, 0) + j * l.inner;
                for (std::size_t i = lo; i < hi; ++i) dx[row + i] += run[i - lo] += dy[row + i];
            }
        });
    }, Output::unread);
}

// y_j = log(exp(y_{j-1}) + exp(x_j)) = max + log1p(exp(-|y_{j-1} - x_j|)).
// dx_k = sum_{j >= k} dy_j exp(x_k - y_j). Run backwards as
//   s_k = dy_k + exp(y_k - y_{k+1}) s_{k+1},   dx_k = exp(x_k - y_k) s_k,
// where every exponent is <= 0 (y never decreases and y_k >= x_k), so
// nothing overflows whatever the scale of x; -inf entries (log 0) add
// nothing and get gradient 0.
Tensor logcumsumexp(const Tensor& x, std::ptrdiff_t axis) {
    const Lanes l = lanes("logcumsumexp", x, axis);
    Array y = Array::from_shape(x.shape());
    const real* xv = x.data();
    real* yv = y.data();
    over_lanes(l, [&](std::size_t o, std::size_t lo, std::size_t hi) {
        const std::size_t first = l.start(o, 0);
        for (std::size_t i = lo; i < hi; ++i) yv[first + i] = xv[first + i];
        for (std::size_t j = 1; j < l.n; ++j) {
            const std::size_t row = first + j * l.inner;
            vec_logaddexp(yv + row - l.inner + lo, xv + row + lo, yv + row + lo, hi - lo);
        }
    });
    return record("logcumsumexp", std::move(y), {x}, [l](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data;
        const real* dy = y.grad.data();
        const real* xv = y.inputs[0]->value.data();
        const real* yv = y.value.data();
        over_lanes(l, [&](std::size_t o, std::size_t lo, std::size_t hi) {
            const std::size_t w = hi - lo;
            std::vector<real> s(w), ratio(w);
            for (std::size_t j = l.n; j-- > 0;) {
                const std::size_t row = l.start(o, 0) + j * l.inner + lo;
                if (j + 1 < l.n) {
                    vec_exp_ratio(yv + row, yv + row + l.inner, ratio.data(), w);  // e^(y_k - y_{k+1})
                    for (std::size_t i = 0; i < w; ++i) s[i] = dy[row + i] + ratio[i] * s[i];
                } else {
                    for (std::size_t i = 0; i < w; ++i) s[i] = dy[row + i];
                }
                vec_exp_ratio(xv + row, yv + row, ratio.data(), w);  // e^(x_k - y_k)
                for (std::size_t i = 0; i < w; ++i) dx[row + i] += ratio[i] * s[i];
            }
        });
    });
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
