#pragma once
// The recording side of the tape, used by every op in ops/ (and by anyone
// adding an op of their own):
//
//   Tensor tanh(const Tensor& x) {
//       return record("tanh", xt::tanh(x.value()), {x}, [](TensorImpl& y) {
//           accumulate(*y.inputs[0], y.grad * (1 - y.value * y.value));
//       });
//   }
//
// record() evaluates the forward value into the result buffer and, only if
// grad mode is on and some input requires grad, attaches the node.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "parallel.hpp"
#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Which values an op's backward function reads: its own output's (y.value)
// and its inputs' (y.inputs[i]->value; bit i of `inputs`, bit 31 standing for
// every input from 31 on). Values that no backward reads and no Tensor holds
// are released during the forward pass, so declare exactly what is read:
// reading a value not declared finds it empty. Shapes are always kept.
struct Reads {
    bool output = true;
    std::uint32_t inputs = ~std::uint32_t(0);
    constexpr bool input(std::size_t i) const { return (inputs >> (i < 31 ? i : 31)) & 1u; }
};
inline constexpr Reads kReadsAll{};                   // the default: keep everything
inline constexpr Reads kReadsNothing{false, 0};       // add, slice, concat, reshape, ...
inline constexpr Reads kReadsOutput{true, 0};         // tanh, sigmoid, exp: dy/dx from y
inline constexpr Reads reads_inputs(std::uint32_t mask) { return Reads{false, mask}; }

// True if an op over these inputs must be recorded.
bool needs_record(std::initializer_list<const Tensor*> inputs);
bool needs_record(const std::vector<Tensor>& inputs);

// Build the output tensor; attach (op, inputs, backward) when recording.
Tensor record(const char* op, Array&& value, std::initializer_list<Tensor> inputs, BackwardFn backward,
              Reads reads = kReadsAll);
Tensor record(const char* op, Array&& value, const std::vector<Tensor>& inputs, BackwardFn backward,
              Reads reads = kReadsAll);

// Any xtensor expression is evaluated straight into the result buffer.
template <class E, class = std::enable_if_t<!std::is_same_v<std::decay_t<E>, Array>>>
Tensor record(const char* op, E&& expr, std::initializer_list<Tensor> inputs, BackwardFn backward,
              Reads reads = kReadsAll) {
    return record(op, Array(std::forward<E>(expr)), inputs, std::move(backward), reads);
}

// Called when an accumulated gradient has the wrong shape: a bug in an op.
[[noreturn]] void gradient_shape_mismatch(const TensorImpl& t, const Shape& got);

// grad += g, the one way gradients are written. `+=` (never `=`) so a value
// used by several ops receives every contribution. Skipped when the input
// does not require grad.
template <class E>
void accumulate(TensorImpl& t, E&& g) {
    if (!t.requires_grad) return;
    if (!t.has_grad) {
        t.grad = std::forward<E>(g);
        t.has_grad = true;
        if (t.grad.shape() != t.value.shape()) gradient_shape_mismatch(t, t.grad.shape());
    } else {
        t.grad += std::forward<E>(g);
        if (t.grad.shape() != t.value.shape()) gradient_shape_mismatch(t, t.grad.shape());
    }
}

// For kernels that write a gradient in place (GEMM with beta, scatter-add).
// grad_beta: makes t.grad exist and returns the beta to use -- 0 for a fresh,
// uninitialised buffer, 1 to add to the gradient already there.
inline real grad_beta(TensorImpl& t) {
    if (t.has_grad) return 1;
    t.grad = Array::from_shape(t.value.shape());
    t.has_grad = true;
    return 0;
}
// grad_buffer: t.grad, created zero-filled if absent, ready for `+=` into parts.
inline Array& grad_buffer(TensorImpl& t) {
    if (!t.has_grad) {
        t.grad = Array::from_shape(t.value.shape());
        real* g = t.grad.data();
        parallel_for(t.grad.size(), 4 * kElementGrain,
                     [g](std::size_t lo, std::size_t hi) { std::fill(g + lo, g + hi, real(0)); });
        t.has_grad = true;
    }
    return t.grad;
}

// The output's gradient, for the last use in a backward function: moved out
// when the engine would drop it right after anyway (a non-retained grad),
// copied otherwise. Saves an allocation and a copy per op.
inline Array take_grad(TensorImpl& y) { return y.retains_grad ? y.grad : std::move(y.grad); }

// dx += dy * d(i) for an elementwise op whose input x has the output's shape,
// d(i) = dy_i/dx_i. Either adds into x's existing gradient, or scales the
// output gradient and hands it over -- taken rather than copied when `last`
// (no later input of the same node still needs dy).
template <class D>
void elementwise_backward(TensorImpl& y, TensorImpl& x, D d, bool last = true) {
    if (!x.requires_grad) return;
    const std::size_t n = y.grad.size();
    if (x.has_grad) {
        real* gx = x.grad.data();
        const real* gy = y.grad.data();
        for (std::size_t i = 0; i < n; ++i) gx[i] += gy[i] * d(i);
    } else if (last) {
        Array g = take_grad(y);
        real* pg = g.data();
        for (std::size_t i = 0; i < n; ++i) pg[i] *= d(i);
        accumulate(x, std::move(g));
    } else {  // a new buffer written in one pass, not a copy of dy scaled in a second
        Array g = Array::from_shape(y.grad.shape());
        real* pg = g.data();
        const real* gy = y.grad.data();
        for (std::size_t i = 0; i < n; ++i) pg[i] = gy[i] * d(i);
        accumulate(x, std::move(g));
    }
}

// Does input i want a gradient? Lets a backward skip work nobody needs.
inline bool wants_grad(const TensorImpl& self, std::size_t i) { return self.inputs[i]->requires_grad; }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
