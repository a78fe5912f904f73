// SPDX-License-Identifier: MIT
#pragma once
// Elementwise functions of one tensor.

#include "../autograd/tensor.hpp"
#include "pointwise.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor exp(Operand x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor tanh(Operand x);
Tensor sigmoid(Operand x);
Tensor relu(Operand x);
// log(1 + e^x) and log(sigmoid(x)) = -softplus(-x), both stable for any x
// (no overflow of e^x, no log(0)).
Tensor softplus(const Tensor& x);
Tensor log_sigmoid(const Tensor& x);
// GELU (Hendrycks & Gimpel): x Phi(x) with the exact normal CDF (erf), or
// PyTorch's approximate='tanh' form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
enum class GeluForm { Erf, Tanh };
Tensor gelu(const Tensor& x, GeluForm form = GeluForm::Erf);
// SiLU / swish: x sigmoid(x).
Tensor silu(const Tensor& x);
// min(max(x, lo), hi); the gradient passes where lo <= x <= hi.
Tensor clamp(const Tensor& x, real lo, real hi);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
