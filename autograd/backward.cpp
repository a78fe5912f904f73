#include "backward.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "anomaly.hpp"
#include "profiler.hpp"
#include "tape.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
std::atomic<std::uint64_t> g_epoch{0};
thread_local std::vector<std::function<void(bool)>> t_walk_end;
thread_local bool t_walking = false;

// Every non-leaf node reachable from root through inputs that require grad,
// found with an explicit stack (no recursion, whatever the depth).
std::vector<ImplPtr> reachable_nodes(const ImplPtr& root, bool check_freed) {
    const std::uint64_t mark = ++g_epoch;
    std::vector<ImplPtr> nodes;
    std::vector<TensorImpl*> stack;
    root->visit = mark;
    if (!root->is_leaf()) nodes.push_back(root);
    stack.push_back(root.get());
    while (!stack.empty()) {
        TensorImpl* n = stack.back();
        stack.pop_back();
        if (n->is_leaf()) continue;
        if (check_freed && n->graph_freed)
            fail<GraphError>(
                "backward: the graph through '{}' (output shape {}{}) was already freed by an earlier backward; "
                "pass retain_graph=true to the first backward to walk it twice",
                n->op, shape_str(n->value.shape()), n->label.empty() ? "" : ", label '" + n->label + "'");
        for (const ImplPtr& in : n->inputs) {
            if (in->visit == mark || !in->requires_grad) continue;
            in->visit = mark;
            if (!in->is_leaf()) nodes.push_back(in);
            stack.push_back(in.get());
        }
    }
    return nodes;
}
// Anomaly mode: the gradients an op just produced must be finite.
void check_gradients(const TensorImpl& n) {
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        const TensorImpl& in = *n.inputs[i];
        if (!in.has_grad) continue;
        for (real v : in.grad)
            if (!std::isfinite(v)) {
                std::string shapes;
                for (const ImplPtr& x : n.inputs) shapes += (shapes.empty() ? "" : ", ") + shape_str(x->value.shape());
                fail<AnomalyError>(
                    "anomaly: the gradient of op '{}' (tape index {}{}) for its input {} is NaN or Inf in backward; "
                    "inputs {}, output {}",
                    n.op, n.seq, n.label.empty() ? "" : ", created in '" + n.label + "'", i, shapes,
                    shape_str(n.value.shape()));
            }
    }
}
}  // namespace

void run_backward(const ImplPtr& root, const Array& seed, bool retain_graph) {
    if (!root->requires_grad)
        fail<GraphError>("backward: tensor of shape {} does not require grad (no input of the computation "
                         "requires grad, or it was computed under NoGradGuard)",
                         shape_str(root->value.shape()));

    std::vector<ImplPtr> order = reachable_nodes(root, /*check_freed=*/true);
    // Creation order is a topological order, so decreasing sequence numbers
    // visit every consumer of a value before the value itself.
    std::sort(order.begin(), order.end(), [](const ImplPtr& a, const ImplPtr& b) { return a->seq > b->seq; });

    if (t_walking) fail<GraphError>("backward: called from inside another backward walk");
    t_walking = true;
    Profiler* prof = active_profiler();
    if (prof) prof->mark("(until backward)");
    try {
        accumulate(*root, seed);
        for (ImplPtr& p : order) {
            TensorImpl& n = *p;
            if (n.has_grad && n.backward) {
                const auto start = prof ? Profiler::Clock::now() : Profiler::Clock::time_point{};
                n.backward(n);
                if (prof) prof->backward_done(n.op, start);
                if (anomaly_mode()) check_gradients(n);
            }
            if (!retain_graph) {
                n.backward = nullptr;
                n.inputs.clear();
                n.graph_freed = true;
            }
            if (!n.retains_grad) {  // intermediate gradients are not kept unless asked
                n.grad = no_elements();
                n.has_grad = false;
            }
            p.reset();  // frees the node now if nothing else holds it
        }
        for (std::size_t i = 0; i < t_walk_end.size(); ++i) t_walk_end[i](true);
        if (prof) prof->mark("(staged weight gradients)");
    } catch (...) {
        for (auto& fn : t_walk_end) fn(false);
        t_walk_end.clear();
        t_walking = false;
        throw;
    }
    t_walk_end.clear();
    t_walking = false;
}

void at_walk_end(std::function<void(bool)> fn) {
    if (!t_walking) {  // not inside a walk: nothing to wait for
        fn(true);
        return;
    }
    t_walk_end.push_back(std::move(fn));
}

std::size_t graph_size(const Tensor& t) {
    if (!t.defined() || !t.requires_grad()) return 0;
    return reachable_nodes(t.impl_ptr(), /*check_freed=*/false).size();
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
