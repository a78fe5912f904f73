// SPDX-License-Identifier: MIT
#pragma once
// Tensor: the handle a program holds -- one shared pointer to a TensorImpl
// (node.hpp), counted in the node's `handles` so that layers know when the
// program has let go. Read node.hpp first, then this file, then record.hpp
// (how an op makes a node) and backward.hpp (the walk back).

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "grad_mode.hpp"
#include "node.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

class Tensor {
public:
    Tensor() = default;  // an undefined tensor; most calls on it throw
    explicit Tensor(Array value, bool requires_grad = false);
    explicit Tensor(ImplPtr impl) : impl_(std::move(impl)) { hold(); }
    Tensor(const Tensor& o) : impl_(o.impl_) { hold(); }
    Tensor(Tensor&& o) noexcept : impl_(std::move(o.impl_)) {}
    Tensor& operator=(const Tensor& o) {
        Tensor copy(o);
        std::swap(impl_, copy.impl_);
        return *this;
    }
    Tensor& operator=(Tensor&& o) noexcept {
        if (this != &o) {
            let_go();
            impl_ = std::move(o.impl_);
        }
        return *this;
    }
    ~Tensor() { let_go(); }

    // ---- factories ----
    static Tensor zeros(const Shape& shape, bool requires_grad = false);
    static Tensor ones(const Shape& shape, bool requires_grad = false);
    static Tensor full(const Shape& shape, real v, bool requires_grad = false);
    static Tensor scalar(real v, bool requires_grad = false);
    // Row-major values with an explicit shape; throws if the counts differ.
    static Tensor from(std::vector<real> values, const Shape& shape, bool requires_grad = false);

    // ---- value ----
    bool defined() const { return impl_ != nullptr; }
    const Array& value() const;
    // For optimizers and initialisers: the buffer itself, off the tape. Call
    // it for each write (layers learn of writes through it).
    Array& mutable_value();
    const Shape& shape() const;  // known before a deferred value is computed
    std::size_t dim() const { return shape().size(); }
    std::size_t numel() const;
    std::size_t size(std::ptrdiff_t axis) const;
    const real* data() const { return value().data(); }
    real item() const;  // the single value of a one-element tensor
    real at(std::initializer_list<std::size_t> index) const;

    // ---- autograd ----
    bool requires_grad() const;
    Tensor& requires_grad_(bool on = true);  // leaves only
    bool is_leaf() const;
    bool has_grad() const;
    const Array& grad() const;  // throws if no gradient has been accumulated
    Tensor grad_tensor() const; // the gradient as a (detached) tensor
    void zero_grad();           // forgets the accumulated gradient
    Tensor& retain_grad();      // keep this non-leaf's grad after backward
    // dL/d(leaves) for a one-element tensor L, seeded with 1.
    void backward(bool retain_graph = false) const;
    // Vector-Jacobian product: seed has this tensor's shape.
    void backward(const Array& seed, bool retain_graph = false) const;
    // Same value, cut from the tape (a copy: tapegrad has no aliasing views).
    Tensor detach() const;
    const char* op_name() const;  // "leaf" for leaves
    Tensor& set_label(std::string label);
    const std::string& label() const;

    std::string to_string() const;  // print.cpp
    // Computes a deferred value now (value() does it for ops); a no-op for others.
    void resolve() const;
    bool is_pending() const { return impl_ && impl_->deferred.load(std::memory_order_acquire); }
    TensorImpl* impl() const { return impl_.get(); }
    const ImplPtr& impl_ptr() const { return impl_; }

private:
    const TensorImpl& checked() const;
    void hold() const {
        if (impl_) impl_->handles.fetch_add(1, std::memory_order_relaxed);
    }
    void let_go() noexcept {
        if (impl_ && impl_->handles.fetch_sub(1, std::memory_order_acq_rel) == 1 && impl_->op)
            if (auto h = hooks().last_handle) h(*impl_);
    }
    ImplPtr impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Shape helpers used across ops and layers.
Shape make_shape(std::initializer_list<std::size_t> dims);
// The element count of `shape`, checked: throws ValueError naming `op` if
// it does not fit in memory's address range (a count that wraps around
// size_t would allocate a small buffer and index past it). Every op and
// factory that makes a shape calls it before allocating.
std::size_t checked_size(const char* op, const Shape& shape);
std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t ndim);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad

// fmt::print("{}", tensor) prints what operator<< prints.
namespace fmt {
template <>
struct formatter<tapegrad::Tensor> : formatter<std::string> {
    template <class Ctx>
    auto format(const tapegrad::Tensor& t, Ctx& ctx) const {
        return formatter<std::string>::format(t.to_string(), ctx);
    }
};
}  // namespace fmt
