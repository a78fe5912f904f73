// SPDX-License-Identifier: MIT
// The Tensor handle: making tensors, reading their values and gradients,
// and starting the backward walk.
#include "tensor.hpp"

#include <mutex>

#include "backward.hpp"
#include "record.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// ---------------------------------------------------------------- making
Tensor::Tensor(Array value, bool requires_grad) : impl_(std::make_shared<TensorImpl>(std::move(value))) {
    hold();
    impl_->seq = next_seq();
    impl_->requires_grad = requires_grad;
}

// ---------------------------------------------------------------- reading
// A deferred value is computed by the layer that deferred it, once: under
// one lock, as two threads may read it at once and computing one may read
// another (hence recursive).
std::recursive_mutex& deferred_mutex() {
    static std::recursive_mutex mutex;
    return mutex;
}

void Tensor::resolve() const {
    if (!is_pending()) return;
    std::lock_guard<std::recursive_mutex> lock(deferred_mutex());
    if (impl_->deferred.load(std::memory_order_acquire)) hooks().compute_deferred(*impl_);
}

const TensorImpl& Tensor::checked() const {
    if (!impl_) throw ValueError("Tensor: use of an undefined tensor");
    resolve();
    if (impl_->value_released())  // only a handle rebuilt from a tape node can see this
        fail<GraphError>("Tensor: the value of this {} output ({}) was released: no backward reads it",
                         impl_->op, shape_str(impl_->value.shape()));
    return *impl_;
}

const Array& Tensor::value() const { return checked().value; }

Array& Tensor::mutable_value() {
    if (!checked().is_leaf())  // a node's backward may read its value: only leaves are written
        fail<GraphError>("mutable_value: only leaf tensors (parameters, data) can be written; this one is the "
                         "output of '{}' (detach() gives a copy that can)",
                         impl_->op);
    if (auto h = hooks().before_write) h(*impl_);
    impl_->written = next_seq();  // nodes made before now must not read the new value (backward.cpp)
    return impl_->value;
}

const Shape& Tensor::shape() const {
    if (!impl_) throw ValueError("Tensor: use of an undefined tensor");
    return impl_->value.shape();  // a deferred value has its shape already
}

std::size_t Tensor::numel() const { return xt::compute_size(shape()); }

// ---------------------------------------------------------------- autograd
bool Tensor::requires_grad() const {
    if (!impl_) throw ValueError("Tensor: use of an undefined tensor");
    return impl_->requires_grad;  // known before a deferred value is computed
}

Tensor& Tensor::requires_grad_(bool on) {
    if (!checked().is_leaf())
        fail<GraphError>("requires_grad_: only leaf tensors can change requires_grad (this one is the output of {})", impl_->op);
    impl_->requires_grad = on;
    return *this;
}

bool Tensor::is_leaf() const { return !is_pending() && checked().is_leaf(); }
bool Tensor::has_grad() const { return checked().has_grad; }

const Array& Tensor::grad() const {
    const auto& t = checked();
    if (!t.has_grad)
        fail<GraphError>("grad: tensor of shape {} has no gradient ({})", shape_str(t.value.shape()),
                         !t.requires_grad ? "it does not require grad"
                         : t.is_leaf()    ? "backward has not reached it"
                                          : "it is not a leaf; call retain_grad() before backward");
    return t.grad;
}

void Tensor::zero_grad() {
    checked();
    impl_->grad = no_elements();
    impl_->has_grad = false;
}

Tensor& Tensor::retain_grad() {
    checked();
    impl_->retains_grad = true;
    return *this;
}

void Tensor::backward(bool retain_graph) const {
    const auto& t = checked();
    if (t.value.size() != 1)
        fail<GraphError>("backward: called on a tensor of shape {}; backward() needs a single-element loss "
                         "(reduce it with sum/mean, or pass a seed gradient of the same shape)",
                         shape_str(t.value.shape()));
    run_backward(impl_, Array(t.value.shape(), real(1)), retain_graph);
}

void Tensor::backward(const Array& seed, bool retain_graph) const {
    const auto& t = checked();
    if (seed.shape() != t.value.shape())
        fail("backward: seed gradient of shape {} does not match tensor of shape {}", shape_str(seed.shape()),
             shape_str(t.value.shape()));
    run_backward(impl_, seed, retain_graph);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
