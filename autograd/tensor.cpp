// The Tensor handle: making tensors, reading their values and gradients,
// and starting the backward walk.
#include "tensor.hpp"

#include <algorithm>
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

Tensor Tensor::zeros(const Shape& shape, bool rg) { return Tensor(Array(xt::zeros<real>(shape)), rg); }
Tensor Tensor::ones(const Shape& shape, bool rg) { return Tensor(Array(xt::ones<real>(shape)), rg); }
Tensor Tensor::full(const Shape& shape, real v, bool rg) { return Tensor(Array(shape, v), rg); }
Tensor Tensor::scalar(real v, bool rg) { return Tensor(Array(v), rg); }

Tensor Tensor::from(std::vector<real> values, const Shape& shape, bool rg) {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    if (n != values.size())
        fail("Tensor::from: {} values cannot fill shape {} ({} elements)", values.size(), shape_str(shape), n);
    Array a(shape);
    std::copy(values.begin(), values.end(), a.begin());
    return Tensor(std::move(a), rg);
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
    checked();
    if (auto h = hooks().before_write) h(*impl_);
    return impl_->value;
}

const Shape& Tensor::shape() const {
    if (!impl_) throw ValueError("Tensor: use of an undefined tensor");
    if (const Deferred* d = impl_->deferred.load(std::memory_order_acquire)) return d->shape;
    return impl_->value.shape();
}

std::size_t Tensor::numel() const { return xt::compute_size(shape()); }

std::size_t Tensor::size(std::ptrdiff_t axis) const {
    return shape()[normalize_axis("Tensor::size", axis, dim())];
}

real Tensor::item() const {
    const auto& v = value();
    if (v.size() != 1) fail("item: tensor of shape {} has {} elements, not one", shape_str(v.shape()), v.size());
    return v.data()[0];
}

real Tensor::at(std::initializer_list<std::size_t> index) const {
    const auto& v = value();
    if (index.size() != v.dimension())
        fail<ValueError>("at: {} indices given for a tensor of shape {}", index.size(), shape_str(v.shape()));
    std::size_t flat = 0, k = 0;
    for (auto i : index) {
        if (i >= v.shape()[k]) fail<ValueError>("at: index {} out of range for axis {} of shape {}", i, k, shape_str(v.shape()));
        flat = flat * v.shape()[k] + i;
        ++k;
    }
    return v.data()[flat];
}

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

Tensor Tensor::grad_tensor() const { return Tensor(grad()); }

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

Tensor Tensor::detach() const { return Tensor(value(), false); }

const char* Tensor::op_name() const { return checked().op ? impl_->op : "leaf"; }

Tensor& Tensor::set_label(std::string label) {
    checked();
    impl_->label = std::move(label);
    return *this;
}
const std::string& Tensor::label() const { return checked().label; }

// ---------------------------------------------------------------- shapes
std::string shape_str(const Shape& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(s[i]);
    }
    return out + "]";
}

Shape make_shape(std::initializer_list<std::size_t> dims) { return Shape(dims.begin(), dims.end()); }

std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t ndim) {
    const auto n = static_cast<std::ptrdiff_t>(ndim);
    if (axis < -n || axis >= n) fail<ValueError>("{}: axis {} is out of range for a {}-D tensor", op, axis, ndim);
    return static_cast<std::size_t>(axis < 0 ? axis + n : axis);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
