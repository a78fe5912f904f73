// SPDX-License-Identifier: MIT
#include "backward.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "record.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// The walk running on this thread, if any: its end-of-walk work. Per thread
// because ops' backward functions, called from the walk, add to it.
thread_local std::vector<std::function<void(bool)>>* t_walk_end = nullptr;
// The GradFinalGuard in force on this thread, if any. Per thread: a guard
// watches the walks its own thread runs, never another thread's training.
thread_local std::function<void(TensorImpl&)>* t_grad_final = nullptr;

// For GradFinalGuard: how many edges of the graph below root lead into each
// leaf that wants a gradient. Iterative, like the walk.
std::unordered_map<TensorImpl*, std::size_t> leaf_fan_in(const ImplPtr& root) {
    std::unordered_map<TensorImpl*, std::size_t> edges;
    std::unordered_set<TensorImpl*> seen{root.get()};
    std::vector<TensorImpl*> todo{root.get()};
    while (!todo.empty()) {
        TensorImpl* n = todo.back();
        todo.pop_back();
        for (const ImplPtr& in : n->inputs) {
            if (!in->requires_grad) continue;
            if (in->is_leaf()) ++edges[in.get()];
            else if (seen.insert(in.get()).second) todo.push_back(in.get());
        }
    }
    return edges;
}

[[noreturn]] void freed(const TensorImpl& n) {
    fail<GraphError>(
        "backward: the graph through '{}' (output shape {}{}) was already freed by an earlier backward; "
        "pass retain_graph=true to the first backward to walk it twice",
        n.op, shape_str(n.value.shape()), n.label.empty() ? "" : ", label '" + n.label + "'");
}

// A value this node's backward reads was written (mutable_value) after the
// node was recorded: its gradient would be computed at the new value.
void check_unwritten(const TensorImpl& n) {
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        const TensorImpl& in = *n.inputs[i];
        if (in.written > n.seq && n.reads_input(i))
            fail<GraphError>("backward: input {} of '{}' (shape {}{}) was written (mutable_value) after '{}' was "
                             "recorded, and its backward reads that value; write parameters after backward "
                             "(the optimizer step after loss.backward), or run the forward again",
                             i, n.op, shape_str(in.value.shape()), in.label.empty() ? "" : ", label '" + in.label + "'",
                             n.op);
    }
}
}  // namespace

void run_backward(const ImplPtr& root, const Array& seed, bool retain_graph) {
    if (!root->requires_grad)
        fail<GraphError>("backward: tensor of shape {} does not require grad (no input of the computation "
                         "requires grad, or it was computed under NoGradGuard)",
                         shape_str(root->value.shape()));
    const auto mark = hooks().mark.load(std::memory_order_relaxed);
    const auto observe = hooks().backward_done.load(std::memory_order_relaxed);
    if (mark) mark("(until backward)");
    // A walk may run inside another (a checkpointed segment's backward walks
    // its recomputed graph): each has its own end-of-walk work.
    std::vector<std::function<void(bool)>> at_end;
    auto* const outer = t_walk_end;
    // reported leaves: the outermost walk only (a nested walk's "final" is not)
    std::function<void(TensorImpl&)>* const report = outer ? nullptr : t_grad_final;
    std::unordered_map<TensorImpl*, std::size_t> pending;
    if (report) pending = leaf_fan_in(root);
    t_walk_end = &at_end;
    auto finish = [&](bool completed) {
        t_walk_end = outer;
        for (auto& fn : at_end) fn(completed);
    };
    try {
        accumulate(*root, seed);
        if (report && root->is_leaf()) (*report)(*root);
        // Newest node first: a max-heap on creation numbers. A node's
        // consumers are all newer, so when it comes up every gradient it
        // will receive has arrived. No recursion, whatever the depth.
        auto older = [](const ImplPtr& a, const ImplPtr& b) { return a->seq < b->seq; };
        std::vector<ImplPtr> heap;
        if (!root->is_leaf()) heap.push_back(root);
        std::uint64_t last = 0;
        while (!heap.empty()) {
            std::pop_heap(heap.begin(), heap.end(), older);
            const ImplPtr node = std::move(heap.back());
            heap.pop_back();
            TensorImpl& n = *node;
            if (n.seq == last) continue;  // reached again through another consumer
            last = n.seq;
            if (n.graph_freed) freed(n);
            if (n.has_grad && n.backward) {
                check_unwritten(n);
                const auto start = observe ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
                n.backward(n);
                if (observe) observe(n, start);
            }
            for (const ImplPtr& in : n.inputs)
                if (in->requires_grad && !in->is_leaf()) {
                    heap.push_back(in);
                    std::push_heap(heap.begin(), heap.end(), older);
                } else if (report && in->requires_grad) {
                    auto it = pending.find(in.get());
                    if (it != pending.end() && --it->second == 0) (*report)(*in);
                }
            if (!retain_graph) {  // let go of the inputs: memory falls as the walk proceeds
                n.backward = nullptr;
                n.inputs.clear();
                n.graph_freed = true;
            }
            if (!n.retains_grad) {  // intermediate gradients are not kept unless asked
                n.grad = no_elements();
                n.has_grad = false;
            }
        }
    } catch (...) {
        finish(false);
        throw;
    }
    finish(true);
    if (mark) mark("(end of walk)");
}

GradFinalGuard::GradFinalGuard(std::function<void(TensorImpl& leaf)> fn)
    : previous_(t_grad_final), fn_(std::move(fn)) {
    t_grad_final = &fn_;
}
GradFinalGuard::~GradFinalGuard() { t_grad_final = previous_; }

void at_walk_end(std::function<void(bool)> fn) {
    if (!t_walk_end) return fn(true);  // not inside a walk: nothing to wait for
    t_walk_end->push_back(std::move(fn));
}

// ------------------------------------------------------- iterative teardown
// When the last handle to the head of a long chain goes, each node's
// destructor would destroy its inputs, whose destructors destroy theirs...
// one stack frame per node. Instead the outermost destructor on this thread
// owns a work list, and nested ones only move their inputs onto it (per
// thread: the list belongs to the destructor running on this thread).
namespace {
thread_local std::vector<ImplPtr>* t_teardown = nullptr;
}

TensorImpl::~TensorImpl() {
    delete deferred.load(std::memory_order_relaxed);
    if (inputs.empty()) return;
    if (t_teardown) {
        for (auto& p : inputs) t_teardown->push_back(std::move(p));
        return;
    }
    std::vector<ImplPtr> work;
    t_teardown = &work;
    for (auto& p : inputs) work.push_back(std::move(p));
    while (!work.empty()) {
        ImplPtr p = std::move(work.back());
        work.pop_back();
        p.reset();  // if the last owner: its destructor appends its inputs to work
    }
    t_teardown = nullptr;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
