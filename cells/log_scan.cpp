// SPDX-License-Identifier: MIT
#include "log_scan.hpp"

#include <limits>

namespace tapegrad::cells {
namespace {
const real neg_inf = -std::numeric_limits<real>::infinity();
}  // namespace

Tensor log_space_scan(const Tensor& log_a, const Tensor& log_b) {
    const Tensor A = cumsum(log_a, 0);
    return exp(A + logcumsumexp(log_b - A, 0));
}

// Both pieces in one formula, with no branch: for x >= 0, sigma(0) (1 + 2x)
// = x + 1/2; for x < 0, sigma(x) * 1. Its log is a sum of two stable logs.
Tensor g(const Tensor& x) { return sigmoid(-relu(-x)) * (real(1) + real(2) * relu(x)); }
Tensor log_g(const Tensor& x) { return log_sigmoid(-relu(-x)) + log(real(1) + real(2) * relu(x)); }

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
