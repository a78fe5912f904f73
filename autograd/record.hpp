// SPDX-License-Identifier: MIT
#pragma once
// How an op puts itself on the tape. Every op in ops/ computes its value,
// then calls record() with the function that computes its inputs'
// gradients; the two sit side by side. ops/unary.cpp's sqrt, whole:
//
//   Tensor sqrt(const Tensor& x) {
//       return record("sqrt", xt::sqrt(x.value()), {unread(x)}, [](TensorImpl& y) {
//           accumulate(*y.inputs[0], real(0.5) * y.grad / y.value);
//       });
//   }
//
// record() stores the node only when grad mode is on and some input
// requires grad; otherwise the result is a plain value. What the backward
// function reads is said at the call: `unread(x)` for an input whose value
// it does not need (here dx = dy / (2 y) comes from y alone),
// `Output::unread` for its own output; such values are kept only as long
// as the program holds them (speed/value_release.hpp).

#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// An input as record() takes it: the tensor, and whether backward reads its value.
struct Input {
    Input(const Tensor& t) : t(&t) {}  // NOLINT: implicit on purpose, {x, W} is a list of inputs
    const Tensor* t;
    bool read = true;
};
inline Input unread(const Tensor& t) {
    Input in(t);
    in.read = false;
    return in;
}
// Whether backward reads the op's own output (tanh's does: dx = dy (1 - y^2)).
enum class Output { read, unread };

// Build the output tensor; attach (op, inputs, backward) when recording.
Tensor record(const char* op, Array&& value, const Input* inputs, std::size_t n, BackwardFn backward, Output out);
inline Tensor record(const char* op, Array&& value, std::initializer_list<Input> inputs, BackwardFn backward,
                     Output out = Output::read) {
    return record(op, std::move(value), inputs.begin(), inputs.size(), std::move(backward), out);
}
inline Tensor record(const char* op, Array&& value, const std::vector<Input>& inputs, BackwardFn backward,
                     Output out = Output::read) {
    return record(op, std::move(value), inputs.data(), inputs.size(), std::move(backward), out);
}
// Any xtensor expression is evaluated into the result buffer first.
template <class E, class = std::enable_if_t<!std::is_same_v<std::decay_t<E>, Array>>>
Tensor record(const char* op, E&& expr, std::initializer_list<Input> inputs, BackwardFn backward,
              Output out = Output::read) {
    return record(op, Array(std::forward<E>(expr)), inputs, std::move(backward), out);
}

// True if an op over these inputs must be recorded: lets an op skip work
// that only backward needs.
bool needs_record(std::initializer_list<const Tensor*> inputs);
// A fresh creation number (Tensor's constructor and record use it).
std::uint64_t next_seq();

// ---- writing gradients: the two ways ----
[[noreturn]] void gradient_shape_mismatch(const TensorImpl& t, const Shape& got);

// grad += g: how a backward function writes a gradient. `+=`, never `=`, so
// a value used by several ops receives every contribution. Skipped when the
// input does not require grad.
template <class E>
void accumulate(TensorImpl& t, E&& g) {
    if (!t.requires_grad) return;
    if (!t.has_grad) {
        t.grad = std::forward<E>(g);
        t.has_grad = true;
    } else {
        t.grad += std::forward<E>(g);
    }
    if (t.grad.shape() != t.value.shape()) gradient_shape_mismatch(t, t.grad.shape());
}

// The in-place form, for kernels that write a gradient themselves (a GEMM
// with beta, a scatter-add): t's gradient buffer, and the beta to write it
// with -- 0 into a new, uninitialised buffer, 1 to add to what is there.
// With zero_new a new buffer is zero-filled first (beta 1), for kernels
// that add into parts of it.
struct GradBuffer {
    real* data;
    real beta;
};
GradBuffer grad_into(TensorImpl& t, bool zero_new = false);

// Does input i want a gradient? Lets a backward skip work nobody needs.
inline bool wants_grad(const TensorImpl& self, std::size_t i) { return self.inputs[i]->requires_grad; }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
