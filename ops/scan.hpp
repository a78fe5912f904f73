// SPDX-License-Identifier: MIT
#pragma once
// Running sums along an axis: the scans of the parallel recurrent cells
// (cells/min_gru.hpp), where h_t = a_t h_{t-1} + b_t over a whole sequence
// becomes two scans in log space.
//   cumsum(x)[j]       = x[0] + ... + x[j]
//   logcumsumexp(x)[j] = log(exp(x[0]) + ... + exp(x[j])), computed stably:
//                        never exp of a large number, -inf entries allowed

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor cumsum(const Tensor& x, std::ptrdiff_t axis);
Tensor logcumsumexp(const Tensor& x, std::ptrdiff_t axis);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
