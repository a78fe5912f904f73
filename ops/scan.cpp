// SPDX-License-Identifier: MIT
#include "scan.hpp"

#include <cmath>
#include <limits>

#include "../autograd/record.hpp"
#include "lanes.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// y_j = sum_{k <= j} x_k  =>  dx_k = sum_{j >= k} dy_j, the same scan run backwards
Tensor cumsum(const Tensor& x, std::ptrdiff_t axis) {
    const Lanes l = lanes("cumsum", x, axis);
    Array y = Array::from_shape(x.shape());
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            real run = 0;
            for (std::size_t j = 0, k = l.start(o, i); j < l.n; ++j, k += l.inner) y.data()[k] = run += x.data()[k];
        }
    return record("cumsum", std::move(y), {unread(x)}, [l](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data;
        const real* dy = y.grad.data();
        for (std::size_t o = 0; o < l.outer; ++o)
            for (std::size_t i = 0; i < l.inner; ++i) {
                real run = 0;
                for (std::size_t j = l.n, k = l.start(o, i) + l.n * l.inner; j-- > 0;) {
                    k -= l.inner;
                    dx[k] += run += dy[k];
                }
            }
    }, Output::unread);
}

// y_j = log(exp(y_{j-1}) + exp(x_j)) = max + log1p(exp(-|y_{j-1} - x_j|)).
// dx_k = sum_{j >= k} dy_j exp(x_k - y_j). Run backwards as
//   s_k = dy_k + exp(y_k - y_{k+1}) s_{k+1},   dx_k = exp(x_k - y_k) s_k,
// where every exponent is <= 0 (y never decreases and y_k >= x_k), so
// nothing overflows whatever the scale of x.
Tensor logcumsumexp(const Tensor& x, std::ptrdiff_t axis) {
    const Lanes l = lanes("logcumsumexp", x, axis);
    constexpr real neg_inf = -std::numeric_limits<real>::infinity();
    Array y = Array::from_shape(x.shape());
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            real run = neg_inf;
            for (std::size_t j = 0, k = l.start(o, i); j < l.n; ++j, k += l.inner) {
                const real v = x.data()[k];
                if (std::isnan(v)) run = v;
                else if (v != neg_inf)  // log(e^run + e^v)
                    run = run == neg_inf ? v : std::max(run, v) + std::log1p(std::exp(-std::abs(run - v)));
                y.data()[k] = run;
            }
        }
    return record("logcumsumexp", std::move(y), {x}, [l](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data;
        const real* dy = y.grad.data();
        const real* xv = y.inputs[0]->value.data();
        const real* yv = y.value.data();
        // exp(a - b) with a <= b, and 0 where a is -inf (an entry that adds nothing)
        auto ratio = [](real a, real b) { return a == -std::numeric_limits<real>::infinity() ? real(0) : std::exp(a - b); };
        for (std::size_t o = 0; o < l.outer; ++o)
            for (std::size_t i = 0; i < l.inner; ++i) {
                real s = 0, y_next = 0;
                for (std::size_t j = l.n, k = l.start(o, i) + l.n * l.inner; j-- > 0;) {
                    k -= l.inner;
                    s = j + 1 < l.n ? dy[k] + ratio(yv[k], y_next) * s : dy[k];
                    y_next = yv[k];
                    dx[k] += ratio(xv[k], yv[k]) * s;
                }
            }
    });
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
