#pragma once
// Elementwise arithmetic with NumPy broadcasting, and the operators that
// make model code read like the equations: h = tanh(x*W + h*U + b).

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& a);

// Scalar forms: the scalar is a constant, not a tensor on the tape.
Tensor add(const Tensor& a, real s);
Tensor mul(const Tensor& a, real s);
Tensor rsub(real s, const Tensor& a);  // s - a
Tensor rdiv(real s, const Tensor& a);  // s / a
Tensor pow(const Tensor& a, real p);   // a^p
Tensor square(const Tensor& a);        // a*a

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, real s) { return add(a, s); }
inline Tensor operator+(real s, const Tensor& a) { return add(a, s); }
inline Tensor operator-(const Tensor& a, real s) { return add(a, -s); }
inline Tensor operator-(real s, const Tensor& a) { return rsub(s, a); }
inline Tensor operator*(const Tensor& a, real s) { return mul(a, s); }
inline Tensor operator*(real s, const Tensor& a) { return mul(a, s); }
inline Tensor operator/(const Tensor& a, real s) { return mul(a, real(1) / s); }
inline Tensor operator/(real s, const Tensor& a) { return rdiv(s, a); }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
