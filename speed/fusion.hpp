// SPDX-License-Identifier: MIT
#pragma once
// Elementwise fusion, a speed layer: a chain of elementwise ops written one
// op at a time,
//
//   Tensor c = sigmoid(f) * c_prev + sigmoid(i) * tanh(g);
//
// runs as one pass forward and one pass backward, and the four gates read
// where they lie in the tensor chunk() split, without copies. The user
// writes nothing different: the built-in cells are written this way too.
//
// How: while recording, an elementwise op (+ - * / unary -, the scalar
// forms, sigmoid, tanh, exp, relu) over operands of one shape does not
// compute its value. It returns a pending tensor holding a small program:
// the instructions so far and their operands. An op given a pending
// temporary -- an rvalue, like sigmoid(f) above -- appends that program to
// its own. A pending tensor kept in a variable is copied into each program
// that reads it when its program is short (a named gate, `Tensor i =
// sigmoid(a[0]);`), and computed once before its first reader otherwise
// (an LSTM's c_t, read by h_t and by the next step). select() and slice()
// (so chunk() and split()) of a recorded tensor, or of such a view, return
// pending views, which an instruction reads in place.
//
// The first read of a pending value -- any other op, value(), data(),
// backward() -- computes it and puts it on the tape: one "elementwise" node
// whose inputs are the tensors the program reads. Its backward runs the
// program again over a tile of a few hundred elements, then walks it in
// reverse, each instruction with its derivative from ops/pointwise.cpp (the
// eager ops' own). A program of one instruction over whole tensors, or a
// view, is computed by the eager op itself, so it records the same node
// ("tanh", "select", ...) as without fusion.
//
// Values and gradients agree with the eager ops' to rounding: the same
// formulas and kernels over other slices of memory. Nothing is deferred
// with grad mode off, in anomaly mode, or after set_elementwise_fusion(false)
// (or TAPEGRAD_FUSION=0, or TAPEGRAD_SPEED=0).

#include "../ops/pointwise.hpp"
#include "layers.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// On by default; per process. Off: every op computes its value at once.
void set_elementwise_fusion(bool on);
bool elementwise_fusion();

// RAII scope: `{ ElementwiseFusion eager(false); ... }` turns fusion off
// (or on) inside the braces. Process-wide, like set_elementwise_fusion.
class ElementwiseFusion {
public:
    explicit ElementwiseFusion(bool on) : prev_(elementwise_fusion()) { set_elementwise_fusion(on); }
    ~ElementwiseFusion() { set_elementwise_fusion(prev_); }
    ElementwiseFusion(const ElementwiseFusion&) = delete;
    ElementwiseFusion& operator=(const ElementwiseFusion&) = delete;

private:
    bool prev_;
};

namespace fusion {
// A pending result of op(a[, b][, s]), or an undefined tensor when the op
// should compute now (not recording, shapes differ, fusion off, ...).
Tensor defer(Code op, const Operand& a, real s = 0);
Tensor defer(Code op, const Operand& a, const Operand& b);

// A pending view of x: `shape`, element k at offset + (k / seg) * stride +
// k % seg of x's buffer; computed by select(x, index) (axis < 0) or
// slice(x, axis, start, end). Undefined when not deferred.
Tensor view(const Tensor& x, const Shape& shape, std::size_t offset, std::size_t seg, std::size_t stride,
            std::ptrdiff_t axis, std::size_t start, std::size_t end);

// The core's hooks this layer fills (speed/layers.cpp attaches them):
// computing a pending value at its first read, and computing the pending
// values that read a leaf before the leaf is written.
void compute_deferred(TensorImpl& t);
void before_write(TensorImpl& leaf);
}  // namespace fusion

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
