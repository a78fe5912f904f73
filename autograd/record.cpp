// SPDX-License-Identifier: MIT
#include "record.hpp"

#include <algorithm>
#include <atomic>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
std::atomic<std::uint64_t> g_next_seq{1};
}  // namespace

std::uint64_t next_seq() { return g_next_seq.fetch_add(1, std::memory_order_relaxed); }

bool needs_record(std::initializer_list<const Tensor*> inputs) {
    if (!is_grad_enabled()) return false;
    for (const Tensor* t : inputs)
        if (t->impl() && t->impl()->requires_grad) return true;
    return false;
}

Tensor record(const char* op, Array&& value, const Input* inputs, std::size_t n, BackwardFn backward, Output out) {
    auto impl = std::make_shared<TensorImpl>(std::move(value));
    impl->seq = next_seq();  // later than every input's: creation order is a topological order
    if (auto h = hooks().recorded.load(std::memory_order_relaxed)) h(op, *impl, inputs, n);
    if (!is_grad_enabled()) return Tensor(std::move(impl));
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
        const Tensor& t = *inputs[i].t;
        if (!t.defined()) fail<ValueError>("{}: an input tensor is undefined", op);
        t.resolve();  // backward may read it
        any = any || t.impl()->requires_grad;
    }
    if (!any) return Tensor(std::move(impl));
    impl->requires_grad = true;
    impl->op = op;
    impl->backward = std::move(backward);
    impl->value_read = out == Output::read;
    impl->inputs.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        TensorImpl& in = *inputs[i].t->impl();
        impl->inputs.push_back(inputs[i].t->impl_ptr());
        if (inputs[i].read && i < 64) impl->reads_inputs |= std::uint64_t(1) << i;
        if (inputs[i].read && !in.value_read) in.value_read = true;  // (leaves always are: no write, no race)
    }
    return Tensor(std::move(impl));
}

void gradient_shape_mismatch(const TensorImpl& t, const Shape& got) {
    fail<GraphError>("backward: gradient of shape {} does not match tensor of shape {} (produced by {})",
                     shape_str(got), shape_str(t.value.shape()), t.op ? t.op : "leaf");
}

GradBuffer grad_into(TensorImpl& t, bool zero_new) {
    if (t.has_grad) return {t.grad.data(), real(1)};
    t.grad = Array::from_shape(t.value.shape());
    t.has_grad = true;
    if (!zero_new) return {t.grad.data(), real(0)};
    std::fill(t.grad.begin(), t.grad.end(), real(0));
    return {t.grad.data(), real(1)};
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
