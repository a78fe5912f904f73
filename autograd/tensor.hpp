#pragma once
// Tensor: a handle to a TensorImpl, which holds a value, its gradient and,
// for the result of a recorded op, its node on the tape: the op's name, its
// inputs and the function that turns the gradient of the result into
// gradients of the inputs. Value and node in one object: one allocation per
// op besides the value's buffer.
//
// Read this file first, then record.hpp (how an op makes a node),
// backward.hpp (the walk back) and hooks.hpp (what layers attach).

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "error.hpp"
#include "grad_mode.hpp"
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
    // The value was let go (value release): a node whose buffer is gone but
    // whose shape says it had elements.
    bool value_released() const { return op && value.size() == 0 && xt::compute_size(value.shape()) != 0; }
};

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
std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t ndim);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad

template <>
struct fmt::formatter<tapegrad::Tensor> : fmt::formatter<std::string> {
    template <class Ctx>
    auto format(const tapegrad::Tensor& t, Ctx& ctx) const {
        return fmt::formatter<std::string>::format(t.to_string(), ctx);
    }
};
