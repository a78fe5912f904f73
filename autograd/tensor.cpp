#include "tensor.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <string>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <ostream>

#include "anomaly.hpp"
#include "backward.hpp"
#include "profiler.hpp"
#include "tape.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// ------------------------------------------------------------------ memory
// Every op writes a fresh buffer and a training step frees them all at the
// end, so glibc's defaults -- give a freed heap top back to the kernel once
// it passes a few MB, map large buffers afresh each time -- page-fault the
// same memory in again on every step (hundreds of faults a step; a user LSTM
// cell at hidden 128 ran 7% faster without them). Keep freed memory for
// reuse instead, as a caching allocator would. Skipped if the program sets
// MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_ itself, or sets
// TAPEGRAD_KEEP_FREED_MEMORY=0.
namespace {
bool keep_freed_memory() {
#if defined(__GLIBC__)
    const char* opt = std::getenv("TAPEGRAD_KEEP_FREED_MEMORY");
    if ((opt && std::string(opt) == "0") || std::getenv("MALLOC_TRIM_THRESHOLD_") ||
        std::getenv("MALLOC_MMAP_THRESHOLD_"))
        return false;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest; bigger buffers are still mapped
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    return true;
#else
    return false;
#endif
}
const bool g_keeps_freed_memory = keep_freed_memory();
}  // namespace

bool keeps_freed_memory() { return g_keeps_freed_memory; }

// ---------------------------------------------------------------- grad mode
namespace {
thread_local bool g_grad_enabled = true;
std::atomic<std::uint64_t> g_next_seq{1};
}  // namespace

bool is_grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool enabled) { g_grad_enabled = enabled; }

// ------------------------------------------------------- iterative teardown
// When the last handle to the head of a long chain goes, each node's
// destructor would destroy its inputs, whose destructors destroy theirs...
// one stack frame per node. Instead the outermost destructor owns a work
// list; nested destructors only move their inputs onto it.
namespace {
thread_local std::vector<ImplPtr>* t_pending = nullptr;
}

TensorImpl::~TensorImpl() {
    if (inputs.empty()) return;
    if (t_pending) {
        for (auto& p : inputs) t_pending->push_back(std::move(p));
        return;
    }
    std::vector<ImplPtr> work;
    t_pending = &work;
    for (auto& p : inputs) work.push_back(std::move(p));
    while (!work.empty()) {
        ImplPtr p = std::move(work.back());
        work.pop_back();
        p.reset();  // if last owner: its destructor appends its inputs to work
    }
    t_pending = nullptr;
}

// ------------------------------------------------------------------- record
bool needs_record(std::initializer_list<const Tensor*> inputs) {
    if (!g_grad_enabled) return false;
    for (const Tensor* t : inputs)
        if (t->impl() && t->impl()->requires_grad) return true;
    return false;
}

bool needs_record(const std::vector<Tensor>& inputs) {
    if (!g_grad_enabled) return false;
    for (const Tensor& t : inputs)
        if (t.impl() && t.impl()->requires_grad) return true;
    return false;
}

namespace {
bool all_finite(const Array& a) {
    for (real v : a)
        if (!std::isfinite(v)) return false;
    return true;
}

template <class Seq>
std::string describe_inputs(const Seq& inputs) {
    std::string s;
    for (const Tensor& t : inputs) {
        if (!s.empty()) s += ", ";
        s += t.defined() ? shape_str(t.shape()) : "undefined";
        if (t.defined() && !t.label().empty()) s += " '" + t.label() + "'";
    }
    return s;
}

template <class Seq>
[[noreturn]] void forward_anomaly(const char* op, const TensorImpl& out, const Seq& inputs) {
    fail<AnomalyError>("anomaly: op '{}' (tape index {}{}) produced NaN or Inf in forward; output {}, inputs {}", op,
                       out.seq, current_label().empty() ? "" : ", created in '" + current_label() + "'",
                       shape_str(out.value.shape()), describe_inputs(inputs));
}

template <class Seq>
Tensor record_impl(const char* op, Array&& value, const Seq& inputs, BackwardFn&& backward, Reads reads) {
    if (Profiler* prof = active_profiler()) prof->forward_done(op);
    auto impl = std::make_shared<TensorImpl>(std::move(value));
    impl->seq = g_next_seq.fetch_add(1, std::memory_order_relaxed);
    if (anomaly_mode()) {  // only then: a pass over every value and a string per node
        impl->label = current_label();
        if (!all_finite(impl->value)) forward_anomaly(op, *impl, inputs);
    }
    if (!g_grad_enabled) return Tensor(std::move(impl));
    bool any = false;
    for (const Tensor& t : inputs) {
        if (!t.defined()) fail<ValueError>("{}: an input tensor is undefined", op);
        t.resolve();  // its backward may read it (an op that read it forward already did this)
        any = any || t.impl()->requires_grad;
    }
    if (!any) return Tensor(std::move(impl));
    impl->requires_grad = true;
    impl->op = op;
    impl->inputs.reserve(inputs.size());
    std::size_t i = 0;
    for (const Tensor& t : inputs) {
        impl->inputs.push_back(t.impl_ptr());
        if (reads.input(i++)) t.impl()->value_read.store(true, std::memory_order_relaxed);
    }
    impl->backward = std::move(backward);
    impl->value_read.store(reads.output, std::memory_order_relaxed);
    return Tensor(std::move(impl));
}
}  // namespace

Tensor record(const char* op, Array&& value, std::initializer_list<Tensor> inputs, BackwardFn backward,
              Reads reads) {
    return record_impl(op, std::move(value), inputs, std::move(backward), reads);
}
Tensor record(const char* op, Array&& value, const std::vector<Tensor>& inputs, BackwardFn backward, Reads reads) {
    return record_impl(op, std::move(value), inputs, std::move(backward), reads);
}

void gradient_shape_mismatch(const TensorImpl& t, const Shape& got) {
    fail<GraphError>("backward: gradient of shape {} does not match tensor of shape {} (produced by {})",
                     shape_str(got), shape_str(t.value.shape()), t.op ? t.op : "leaf");
}

// ------------------------------------------------------------------ helpers
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

// ------------------------------------------------------------------- Tensor
Tensor::Tensor(Array value, bool requires_grad) : impl_(std::make_shared<TensorImpl>(std::move(value))) {
    hold();
    impl_->seq = g_next_seq.fetch_add(1, std::memory_order_relaxed);
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

void Tensor::last_handle_gone() noexcept {
    // Still on the tape (a consumer holds it) but no backward reads it: the
    // buffer can go. Leaves keep theirs: they are the parameters and inputs.
    TensorImpl& t = *impl_;
    if (t.op && !t.value_read.load(std::memory_order_relaxed) && impl_.use_count() > 1) {
        std::decay_t<decltype(t.value.storage())>().swap(t.value.storage());
        t.value_released = true;
    }
}

// ------------------------------------------------------------ pending values
namespace {
// One lock for every computation of a pending value: two threads reading the
// same pending tensor must not both compute it. Recursive, as computing one
// may read another.
std::recursive_mutex g_pending_mutex;
thread_local std::vector<std::weak_ptr<TensorImpl>> t_tracked;

// t takes over r's value and node; r was built just now and nothing else
// points to it.
void adopt(TensorImpl& t, Tensor&& r) {
    TensorImpl& R = *r.impl();
    if (r.impl_ptr().use_count() != 1)
        fail<GraphError>("internal: a pending value computed to a tensor that is shared ({})", R.op ? R.op : "leaf");
    t.value = std::move(R.value);
    t.op = R.op;
    t.inputs = std::move(R.inputs);
    t.backward = std::move(R.backward);
    t.seq = R.seq;  // a fresh number: later than every input's
    t.requires_grad = R.requires_grad;
    t.label = std::move(R.label);
    t.value_read.store(R.value_read.load(std::memory_order_relaxed), std::memory_order_relaxed);
    R.op = nullptr;
}
}  // namespace

std::recursive_mutex& pending_mutex() { return g_pending_mutex; }

void track_pending(const ImplPtr& impl) {
    if (t_tracked.size() >= 256) {  // forget the ones computed or gone
        t_tracked.erase(std::remove_if(t_tracked.begin(), t_tracked.end(),
                                       [](const std::weak_ptr<TensorImpl>& w) {
                                           auto p = w.lock();
                                           return !p || !p->is_pending.load(std::memory_order_acquire);
                                       }),
                        t_tracked.end());
    }
    t_tracked.push_back(impl);
}

void Tensor::resolve() const {
    if (!is_pending()) return;
    std::lock_guard<std::recursive_mutex> lock(g_pending_mutex);
    TensorImpl& t = *impl_;
    if (!t.is_pending.load(std::memory_order_acquire)) return;  // another thread did it
    // Pending tensors are made only while recording; computed later, they
    // are recorded all the same, whatever the grad mode is by then.
    {
        GradModeGuard recording(true);
        adopt(t, t.pending->compute());
    }
    t.pending.reset();
    t.is_pending.store(false, std::memory_order_release);
}

const Shape& Tensor::shape() const {
    if (!impl_) throw ValueError("Tensor: use of an undefined tensor");
    if (is_pending()) return impl_->pending_shape;  // never changes once set
    return checked().value.shape();
}

std::size_t Tensor::numel() const {
    std::size_t n = 1;
    for (std::size_t d : shape()) n *= d;
    return n;
}

const TensorImpl& Tensor::checked() const {
    if (!impl_) throw ValueError("Tensor: use of an undefined tensor");
    resolve();
    if (impl_->value_released)  // only a handle rebuilt from a tape node can see this
        fail<GraphError>("Tensor: the value of this {} output ({}) was released: no backward reads it",
                         impl_->op, shape_str(impl_->value.shape()));
    return *impl_;
}

const Array& Tensor::value() const { return checked().value; }
namespace {
std::atomic<std::uint64_t> g_value_writes{0};
}

std::uint64_t value_writes() { return g_value_writes.load(std::memory_order_acquire); }

Array& Tensor::mutable_value() {
    checked();
    // Pending values read what their inputs hold now, not after this write.
    std::vector<std::weak_ptr<TensorImpl>> tracked;
    tracked.swap(t_tracked);
    for (auto& w : tracked)
        if (auto p = w.lock()) Tensor(std::move(p)).resolve();
    g_value_writes.fetch_add(1, std::memory_order_acq_rel);
    return impl_->value;
}

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

bool Tensor::requires_grad() const {
    if (is_pending()) return impl_->requires_grad;  // known before the value
    return checked().requires_grad;
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

// ----------------------------------------------------------------- printing
namespace {
void print_rec(std::string& out, const real* d, const Shape& s, std::size_t axis, std::size_t indent) {
    std::size_t stride = 1;
    for (std::size_t k = axis + 1; k < s.size(); ++k) stride *= s[k];
    const std::size_t n = s[axis];
    const std::size_t edge = 3;  // long axes print as "a, b, c, ..., x, y, z"
    const bool cut = n > 2 * edge + 1;
    out += '[';
    for (std::size_t i = 0; i < n; ++i) {
        if (cut && i == edge) {
            out += axis + 1 == s.size() ? "..., " : fmt::format("...,\n{:{}}", "", indent + 1);
            i = n - edge - 1;
            continue;
        }
        if (axis + 1 == s.size()) {
            out += fmt::format("{:.4g}", static_cast<double>(d[i]));
            if (i + 1 < n) out += ", ";
        } else {
            print_rec(out, d + i * stride, s, axis + 1, indent + 1);
            if (i + 1 < n) out += fmt::format(",\n{:{}}", "", indent + 1);
        }
    }
    out += ']';
}
}  // namespace

std::string Tensor::to_string() const {
    if (!impl_) return "Tensor(undefined)";
    const auto& v = checked().value;
    std::string out = fmt::format("Tensor{}", shape_str(v.shape()));
    if (impl_->op) out += fmt::format(" op={}", impl_->op);
    if (impl_->requires_grad) out += " requires_grad";
    out += "\n";
    if (v.dimension() == 0)
        out += fmt::format("{:.4g}", static_cast<double>(v.data()[0]));
    else if (v.size() == 0)
        out += "[]";
    else
        print_rec(out, v.data(), v.shape(), 0, 0);
    return out;
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
