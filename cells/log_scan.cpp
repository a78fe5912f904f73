// SPDX-License-Identifier: MIT
#include "log_scan.hpp"

#include <limits>

namespace tapegrad::cells {
namespace {
const real neg_inf = -std::numeric_limits<real>::infinity();

// [x >= 0] as a constant 0/1 tensor: a branch, no gradient of its own
Tensor nonnegative(const Tensor& x) {
    Array m = Array::from_shape(x.shape());
    for (std::size_t k = 0; k < m.size(); ++k) m.data()[k] = x.data()[k] >= 0 ? 1 : 0;
    return Tensor(std::move(m));
}
}  // namespace

Tensor log_space_scan(const Tensor& log_a, const Tensor& log_b, const Tensor& log_h0) {
    const std::size_t T = log_a.shape()[0];
    const Tensor A = concat({Tensor::zeros(make_shape({1, log_a.shape()[1], log_a.shape()[2]})), cumsum(log_a, 0)}, 0);
    const Tensor values = concat({reshape(log_h0, 1, -1, log_h0.shape()[1]), log_b}, 0);  // [T+1, B, H]
    const Tensor log_h = A + logcumsumexp(values - A, 0);
    return exp(slice(log_h, 0, 1, T + 1));
}

Tensor g(const Tensor& x) { return where(nonnegative(x), x + real(0.5), sigmoid(x)); }
// log(x + 1/2) on the non-negative side (relu keeps the unused branch finite), log sigmoid(x) below
Tensor log_g(const Tensor& x) { return where(nonnegative(x), log(relu(x) + real(0.5)), log_sigmoid(x)); }

Tensor step_mask(std::size_t T, const std::vector<std::size_t>& lengths) {
    Array m = Array::from_shape({T, lengths.size(), 1});
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t b = 0; b < lengths.size(); ++b) m(t, b, 0) = t < lengths[b] ? 1 : 0;
    return Tensor(std::move(m));
}

void keep_state_at_padding(Tensor& log_a, Tensor& log_b, const std::vector<std::size_t>& lengths) {
    if (lengths.empty()) return;
    const Tensor real_step = step_mask(log_a.shape()[0], lengths);
    log_a = where(real_step, log_a, Tensor::zeros(make_shape({1})));
    log_b = where(real_step, log_b, Tensor::full(make_shape({1}), neg_inf));
}

}  // namespace tapegrad::cells
