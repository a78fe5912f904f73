// SPDX-License-Identifier: MIT
#pragma once
// The elementwise functions y = f(a) or y = f(a, b) (s a number), each with
// its derivative beside it -- the one place these derivatives are written.
// The eager ops (add, mul, tanh, ... in arithmetic.hpp and unary.hpp) run
// them over whole tensors; elementwise fusion (speed/fusion.cpp) runs them
// over tiles of a program.

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// An input of an elementwise op: a tensor, and whether the caller gave it
// away (a temporary), so elementwise fusion may take over what it holds.
struct Operand {
    Operand(const Tensor& t) : t(t), temporary(false) {}  // NOLINT: implicit on purpose
    Operand(Tensor&& t) : t(t), temporary(true) {}        // NOLINT
    const Tensor& t;
    bool temporary;
};

// One per function: a + b, a - b, a * b, a / b, -a, a + s, a * s, s - a,
// sigmoid, tanh, exp, relu.
enum class Code : unsigned char { Add, Sub, Mul, Div, Neg, AddS, MulS, RSubS, Sigmoid, Tanh, Exp, Relu };

namespace pointwise {
bool is_binary(Code c);
const char* name(Code c);  // the node an eager op records: "add", "add_scalar", ...
// What the derivative reads: the operand a, the operand b, the result y.
bool reads_a(Code c);
bool reads_b(Code c);
bool reads_y(Code c);

// `rows` rows of m elements, row r of each at p + r * stride (null p: not
// used or not wanted).
struct In {
    const real* p;
    std::size_t stride;
};
struct Out {
    real* p;
    std::size_t stride;
};
// y[k] = f(a[k], b[k]) for k < m in each row (b unused by unary functions).
void forward(Code c, real s, In a, In b, Out y, std::size_t m, std::size_t rows = 1);
// da, db (null where not wanted) from g = dL/dy, each set (flag 0, then
// set to 1) or added to (flag 1); a, b, y as far as the derivative reads them.
void backward(Code c, real s, In a, In b, In y, In g, Out da, char& sa, Out db, char& sb, std::size_t m,
              std::size_t rows = 1);

// The eager op: computes f now, over whole tensors (binary operands
// broadcast as NumPy does), and records one node.
Tensor apply(Code c, const Tensor& a, const Tensor* b, real s);
}  // namespace pointwise

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
