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

// y[k] = f(a[k], b[k]) for k < m (b unused by unary functions).
void forward(Code c, real s, const real* a, const real* b, real* y, std::size_t m);
// da, db (null where not wanted) from g = dL/dy, each set (flag 0, then
// set to 1) or added to (flag 1); a, b, y as far as the derivative reads them.
void backward(Code c, real s, const real* a, const real* b, const real* y, const real* g, real* da, char& sa,
              real* db, char& sb, std::size_t m);

// The eager op: computes f now, over whole tensors (binary operands
// broadcast as NumPy does), and records one node.
Tensor apply(Code c, const Tensor& a, const Tensor* b, real s);
}  // namespace pointwise

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
