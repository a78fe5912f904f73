// SPDX-License-Identifier: MIT
#pragma once
// A TensorImpl is a value, its gradient and -- for the result of a recorded
// op -- its node on the tape: the op's name, its inputs and the function
// that turns the gradient of the result into gradients of the inputs.
// Value and node in one object: one allocation per op besides the value's
// buffer. Leaves (parameters, data) have no node.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "error.hpp"
#include "hooks.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

struct TensorImpl;
using ImplPtr = std::shared_ptr<TensorImpl>;

// A backward function reads `self.grad` (dL/d output) and adds its share of
// dL/d input to each input's grad. It reaches the inputs through
// `self.inputs`, so the graph has no hidden owners.
using BackwardFn = std::function<void(TensorImpl& self)>;

// An array of no elements, which allocates nothing (a default Array is 0-D
// with one element: a heap allocation for every gradient slot).
inline Array no_elements() { return Array(Shape{0}); }
// An array with this shape and no buffer: a value not computed yet, or let go.
inline Array shape_only(Shape shape) {
    Array::inner_strides_type strides(shape.size());
    xt::compute_strides(shape, xt::layout_type::row_major, strides);
    return Array(Array::storage_type(), std::move(shape), std::move(strides));
}

struct TensorImpl {
    Array value = no_elements();
    Array grad = no_elements();  // meaningful only when has_grad
    bool has_grad = false;
    bool requires_grad = false;
    bool retains_grad = false;  // keep a non-leaf's grad after backward
    bool value_read = true;     // some backward function reads `value` (record.hpp)
    bool graph_freed = false;   // backward ran and let go of inputs and backward

    // ---- the node: empty for leaves (parameters, data) ----
    const char* op = nullptr;  // the op's name, a static string; nullptr: a leaf
    std::vector<ImplPtr> inputs;
    BackwardFn backward;
    std::uint64_t seq = 0;  // creation number: inputs are always older
    // Bit i: backward reads input i's value (record.hpp's unread() clears
    // it; inputs past the 64th always count as read).
    std::uint64_t reads_inputs = 0;
    // When this leaf's value was last written (Tensor::mutable_value), on
    // the creation-number clock; 0: never. A node whose backward reads a
    // value written after the node was made would compute its gradient at
    // the new value: backward refuses (backward.cpp).
    std::uint64_t written = 0;
    std::string label;      // a name for messages and pictures (set_label)

    // ---- for the layers over the core (hooks.hpp) ----
    std::atomic<std::uint32_t> handles{0};     // Tensors pointing here
    std::atomic<Deferred*> deferred{nullptr};  // owned; set while the value is not computed

    TensorImpl() = default;
    explicit TensorImpl(Array v) : value(std::move(v)) {}
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;
    ~TensorImpl();  // iterative: see backward.cpp

    bool is_leaf() const { return op == nullptr; }
    bool reads_input(std::size_t i) const { return i >= 64 || (reads_inputs >> i & 1) != 0; }
    // The value was let go (value release): a node whose buffer is gone but
    // whose shape says it had elements.
    bool value_released() const { return op && value.size() == 0 && xt::compute_size(value.shape()) != 0; }
};

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
