// SPDX-License-Identifier: MIT
#pragma once
// Inverted dropout: in training each element is zeroed with probability p and
// the survivors are scaled by 1/(1-p), so evaluation needs no rescaling.

#include "../autograd/random.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Identity when !training or p == 0. p must lie in [0, 1).
Tensor dropout(const Tensor& x, real p, bool training, Generator& gen = default_generator());

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
