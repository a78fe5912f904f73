// SPDX-License-Identifier: MIT
// The debugging layers' view of the tape: the profiler's tallies and
// anomaly mode's checks, attached to the core's observer hooks the first
// time either is used.
#include <cmath>

#include "anomaly.hpp"
#include "profiler.hpp"
#include "record.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
bool all_finite(const Array& a) {
    for (real v : a)
        if (!std::isfinite(v)) return false;
    return true;
}

std::string describe(const Input* inputs, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        const Tensor& t = *inputs[i].t;
        if (!s.empty()) s += ", ";
        s += t.defined() ? shape_str(t.shape()) : "undefined";
        if (t.defined() && !t.label().empty()) s += " '" + t.label() + "'";
    }
    return s;
}

void recorded(const char* op, TensorImpl& out, const Input* inputs, std::size_t n) {
    if (Profiler* prof = active_profiler()) prof->forward_done(op);
    if (!anomaly_mode()) return;  // only then: a pass over every value and a string per node
    out.label = current_label();
    if (!all_finite(out.value))
        fail<AnomalyError>("anomaly: op '{}' (tape index {}{}) produced NaN or Inf in forward; output {}, inputs {}", op,
                           out.seq, out.label.empty() ? "" : ", created in '" + out.label + "'",
                           shape_str(out.value.shape()), describe(inputs, n));
}

void backward_done(const TensorImpl& node, std::chrono::steady_clock::time_point start) {
    if (Profiler* prof = active_profiler()) prof->backward_done(node.op, start);
    if (!anomaly_mode()) return;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        const TensorImpl& in = *node.inputs[i];
        if (!in.has_grad || all_finite(in.grad)) continue;
        std::string shapes;
        for (const ImplPtr& x : node.inputs) shapes += (shapes.empty() ? "" : ", ") + shape_str(x->value.shape());
        fail<AnomalyError>(
            "anomaly: the gradient of op '{}' (tape index {}{}) for its input {} is NaN or Inf in backward; "
            "inputs {}, output {}",
            node.op, node.seq, node.label.empty() ? "" : ", created in '" + node.label + "'", i, shapes,
            shape_str(node.value.shape()));
    }
}

void mark(const char* what) {
    if (Profiler* prof = active_profiler()) prof->mark(what);
}
}  // namespace

namespace detail {
void observe_tape() {
    Hooks& h = hooks();
    h.recorded.store(&recorded, std::memory_order_relaxed);
    h.backward_done.store(&backward_done, std::memory_order_relaxed);
    h.mark.store(&mark, std::memory_order_relaxed);
}
}  // namespace detail

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
