// SPDX-License-Identifier: MIT
#pragma once
// The linear recurrence h_t = a_t * h_{t-1} + b_t (elementwise, a_t > 0,
// b_t >= 0) for every t at once, in log space (Heinsen, "Efficient
// Parallelization of a Ubiquitous Sequential Computation", 2023):
//     log h_t = A_t + log(h_0 + sum_{k<=t} e^{log b_k - A_k}),
//     A_t = sum_{k<=t} log a_k
// two scans over time instead of T dependent steps. Forward code over ops
// (cumsum, logcumsumexp): the tape differentiates it.

#include <tapegrad.hpp>

namespace tapegrad::cells {

// log_a, log_b: [T, B, H], from h_0 = 0 (so its term drops out). Returns h [T, B, H].
Tensor log_space_scan(const Tensor& log_a, const Tensor& log_b);

// The minGRU/minLSTM candidate activation g(x) = x + 1/2 for x >= 0,
// sigmoid(x) below: positive, so its log exists, and continuous at 0 (its
// slope jumps there, from 1/4 to 1).
Tensor g(const Tensor& x);
Tensor log_g(const Tensor& x);  // log(g(x)), computed without forming g(x)

// Padded steps (t >= lengths[b]) as a recurrence that keeps h: a = 1, b = 0,
// that is log a = 0 and log b = -inf there. lengths empty: no padding.
void keep_state_at_padding(Tensor& log_a, Tensor& log_b, const std::vector<std::size_t>& lengths);
// [T, B, 1]: 1 where t < lengths[b], else 0.
Tensor step_mask(std::size_t T, const std::vector<std::size_t>& lengths);

}  // namespace tapegrad::cells
