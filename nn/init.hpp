// SPDX-License-Identifier: MIT
#pragma once
// Initialisers. Each overwrites a tensor's values in place (off the tape) and
// draws from the Generator it is given, so a seed reproduces a model.

#include "../autograd/random.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn::init {

void zeros_(Tensor& t);
void constant_(Tensor& t, real value);
void uniform_(Tensor& t, real lo, real hi, Generator& gen = default_generator());
void normal_(Tensor& t, real mean, real stddev, Generator& gen = default_generator());
// Glorot & Bengio: variance 2 / (fan_in + fan_out). fan_in = shape[1],
// fan_out = shape[0] for a [out, in] weight.
void xavier_uniform_(Tensor& t, real gain = 1, Generator& gen = default_generator());
void xavier_normal_(Tensor& t, real gain = 1, Generator& gen = default_generator());
// A (semi-)orthogonal matrix: rows or columns orthonormal, times gain. For
// recurrent weights, whose repeated products then neither explode nor vanish
// at the start. Tensors of more than 2 axes are treated as [shape[0], rest].
void orthogonal_(Tensor& t, real gain = 1, Generator& gen = default_generator());

}  // namespace nn::init
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
