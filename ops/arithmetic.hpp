// SPDX-License-Identifier: MIT
#pragma once
// Elementwise arithmetic with NumPy broadcasting, and the operators that
// make model code read like the equations: h = tanh(x*W + h*U + b).

#include "../autograd/tensor.hpp"
#include "pointwise.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor add(Operand a, Operand b);
Tensor sub(Operand a, Operand b);
Tensor mul(Operand a, Operand b);
Tensor div(Operand a, Operand b);
Tensor neg(Operand a);

// Scalar forms: the scalar is a constant, not a tensor on the tape.
Tensor add(Operand a, real s);
Tensor mul(Operand a, real s);
Tensor rsub(real s, Operand a);  // s - a
Tensor rdiv(real s, const Tensor& a);  // s / a
Tensor pow(const Tensor& a, real p);   // a^p
Tensor square(const Tensor& a);        // a*a
Tensor maximum(const Tensor& a, const Tensor& b);  // elementwise, of one shape

inline Tensor operator+(Operand a, Operand b) { return add(a, b); }
inline Tensor operator-(Operand a, Operand b) { return sub(a, b); }
inline Tensor operator*(Operand a, Operand b) { return mul(a, b); }
inline Tensor operator/(Operand a, Operand b) { return div(a, b); }
inline Tensor operator-(Operand a) { return neg(a); }
inline Tensor operator+(Operand a, real s) { return add(a, s); }
inline Tensor operator+(real s, Operand a) { return add(a, s); }
inline Tensor operator-(Operand a, real s) { return add(a, -s); }
inline Tensor operator-(real s, Operand a) { return rsub(s, a); }
inline Tensor operator*(Operand a, real s) { return mul(a, s); }
inline Tensor operator*(real s, Operand a) { return mul(a, s); }
inline Tensor operator/(Operand a, real s) { return mul(a, real(1) / s); }
inline Tensor operator/(real s, const Tensor& a) { return rdiv(s, a); }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
