#pragma once
// Tensor: a cheap handle (one shared_ptr) to a TensorImpl, which holds the
// value, the accumulated gradient and -- for results of recorded ops -- the
// tape node: the op name, the inputs and the backward function.
//
// Keeping value and node in one object means one allocation per op besides
// the result buffer, and the creation sequence number doubles as a
// topological order: an op's inputs always exist before its output.

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config.hpp"
#include "error.hpp"
#include "grad_mode.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

struct TensorImpl;
class Tensor;
using ImplPtr = std::shared_ptr<TensorImpl>;

// A backward function reads `self.grad` (dL/d output) and adds its share of
// dL/d input into each input's grad. It never captures tensors: it reaches
// the inputs through `self.inputs`, so the graph has no hidden owners.
using BackwardFn = std::function<void(TensorImpl& self)>;

// A value not computed yet: an elementwise expression waiting to be fused
// with the elementwise ops that consume it, or a view (a select or slice to
// be read where it lies). See ops/elementwise.hpp. The first read computes
// it, and only then does it become a tape node.
struct Pending {
    explicit Pending(int k) : kind(k) {}
    virtual ~Pending() = default;
    const int kind;  // which subclass, for the code that made it
    // The tensor the eager op(s) would have built; its node is moved into
    // the pending tensor's own TensorImpl, which handles already point to.
    virtual Tensor compute() const = 0;
};

// An array of no elements, which allocates nothing. (A default Array is
// 0-D with one element: a heap allocation for every gradient slot.)
inline Array no_elements() { return Array(Shape{0}); }

struct TensorImpl {
    Array value = no_elements();
    Array grad = no_elements();  // meaningful only when has_grad
    bool has_grad = false;
    bool requires_grad = false;
    bool retains_grad = false;  // keep grad of a non-leaf after backward

    // ---- tape node (empty for leaves) ----
    const char* op = nullptr;   // static string naming the op; nullptr = leaf
    std::vector<ImplPtr> inputs;
    BackwardFn backward;
    bool graph_freed = false;   // backward already ran and released the node
    std::uint64_t seq = 0;      // creation order = topological order
    std::uint64_t visit = 0;    // marker used by the backward walk
    std::string label;          // optional user label, shown in errors

    // ---- early release of values nobody will read ----
    // A node's value is kept only while the program holds a Tensor to it or
    // some backward function reads it (its own op's, or a consumer's; see
    // Reads in tape.hpp). Otherwise -- the sum inside x W + h U, the four
    // chunks of an LSTM's gates -- its buffer goes back to the allocator at
    // once, to be reused while it is still in cache. The shape stays.
    std::atomic<std::uint32_t> handles{0};  // Tensor objects pointing here
    std::atomic<bool> value_read{true};     // a backward function reads the value
    bool value_released = false;            // it was

    // Set while the value is still to be computed (see Pending above).
    std::unique_ptr<Pending> pending;
    std::atomic<bool> is_pending{false};
    Shape pending_shape;  // the value's shape, known before it is computed

    TensorImpl() = default;
    explicit TensorImpl(Array v) : value(std::move(v)) {}
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;
    // Iterative: destroying the last handle of a 100,000-step chain must not
    // recurse through 100,000 shared_ptr destructors.
    ~TensorImpl();

    bool is_leaf() const { return op == nullptr; }
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
    // For optimizers and initialisers; bypasses the tape. Call it for each
    // write: each call tells caches built from values (linear's transposed
    // weights) that values may have changed.
    Array& mutable_value();
    // Shapes are known without computing a pending value.
    const Shape& shape() const;
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

    std::string to_string() const;
    // Computes a pending value now (ops read values through value(), which
    // does it for them); a no-op for other tensors.
    void resolve() const;
    bool is_pending() const { return impl_ && impl_->is_pending.load(std::memory_order_acquire); }
    TensorImpl* impl() const { return impl_.get(); }
    const ImplPtr& impl_ptr() const { return impl_; }

private:
    const TensorImpl& checked() const;
    void hold() const {
        if (impl_) impl_->handles.fetch_add(1, std::memory_order_relaxed);
    }
    void let_go() noexcept {
        if (impl_ && impl_->handles.fetch_sub(1, std::memory_order_acq_rel) == 1) last_handle_gone();
    }
    void last_handle_gone() noexcept;  // releases the value if nothing reads it
    ImplPtr impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// True if tapegrad told glibc's malloc, at start-up, to keep freed memory for
// reuse rather than return it to the kernel after every step (tensor.cpp).
bool keeps_freed_memory();

// Held while a pending value is computed, and by code that reads another
// tensor's Pending object, which computing it destroys.
std::recursive_mutex& pending_mutex();

// Register a tensor made pending by this thread: mutable_value() computes
// every such tensor still pending first, so a later write to one of its
// inputs cannot change what it evaluates to.
void track_pending(const ImplPtr& impl);

// How many times mutable_value() has been called in this process: a cache
// built from a leaf's value is valid while this count is unchanged.
std::uint64_t value_writes();

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
