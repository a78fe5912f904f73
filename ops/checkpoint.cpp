// SPDX-License-Identifier: MIT
#include "checkpoint.hpp"

#include <algorithm>
#include <memory>
#include <unordered_set>

#include "../autograd/record.hpp"
#include "arithmetic.hpp"
#include "reduce.hpp"
#include "shape.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// What the segment's node keeps: how to run it again.
struct Segment {
    SegmentFn fn;
    std::string name;
    std::vector<Generator*> generators;  // the default one first
    std::vector<Generator> states;       // their states when the segment first ran
    std::size_t n_inputs = 0;
    std::vector<Shape> shapes;           // of the outputs, packed one after another
};

// The leaves that require grad which the segment's graph reads (its
// parameters), found by walking it back to where it began. A non-leaf made
// before the segment and not among its inputs is refused: the recomputed
// segment's backward would walk into the rest of the program's graph.
std::vector<Tensor> parameters_read(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                                    std::uint64_t begin, const std::string& name) {
    std::unordered_set<const TensorImpl*> allowed, seen;
    for (const Tensor& t : inputs) allowed.insert(t.impl());
    std::vector<ImplPtr> work;
    std::vector<Tensor> leaves;
    for (const Tensor& o : outputs) work.push_back(o.impl_ptr());
    while (!work.empty()) {
        ImplPtr n = std::move(work.back());
        work.pop_back();
        if (!n->requires_grad || !seen.insert(n.get()).second || allowed.count(n.get())) continue;
        if (n->is_leaf()) {
            leaves.emplace_back(n);
            continue;
        }
        if (n->seq < begin)
            fail<GraphError>("checkpoint '{}': the segment reads the output of '{}' (shape {}), made before it and not "
                             "among its inputs; pass it in `inputs`",
                             name, n->op, shape_str(n->value.shape()));
        for (const ImplPtr& in : n->inputs) work.push_back(in);
    }
    return leaves;
}

// Runs fn with the generators as they were when the segment first ran, and
// puts the program's generator states back afterwards.
std::vector<Tensor> replay(Segment& s, const std::vector<Tensor>& inputs) {
    std::vector<Generator> program;
    for (std::size_t k = 0; k < s.generators.size(); ++k) {
        program.push_back(*s.generators[k]);
        *s.generators[k] = s.states[k];
    }
    struct Restore {
        Segment& s;
        std::vector<Generator>& program;
        ~Restore() {
            for (std::size_t k = 0; k < s.generators.size(); ++k) *s.generators[k] = program[k];
        }
    } restore{s, program};
    return s.fn(inputs);
}

// The segment's backward: run it again with recording on, from copies of
// its inputs, and walk the new graph back from the outputs' gradients.
void segment_backward(Segment& s, TensorImpl& node) {
    try {
        GradModeGuard recording(true);
        std::vector<Tensor> inputs;
        for (std::size_t i = 0; i < s.n_inputs; ++i) {
            const TensorImpl& in = *node.inputs[i];
            inputs.emplace_back(in.value, in.requires_grad);  // leaves: the walk stops at them
        }
        const std::vector<Tensor> outputs = replay(s, inputs);
        if (outputs.size() != s.shapes.size())
            fail<GraphError>("the segment returned {} outputs when run again, {} the first time", outputs.size(),
                             s.shapes.size());
        // sum_i <out_i, g_i>: its gradient is the vector-Jacobian product the walk wants
        Tensor total;
        std::size_t offset = 0;
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            const std::size_t n = xt::compute_size(s.shapes[i]);
            if (outputs[i].shape() != s.shapes[i])
                fail<GraphError>("output {} has shape {} when run again, {} the first time", i,
                                 shape_str(outputs[i].shape()), shape_str(s.shapes[i]));
            if (outputs[i].requires_grad() && n > 0) {
                Array g = Array::from_shape(s.shapes[i]);
                std::copy(node.grad.data() + offset, node.grad.data() + offset + n, g.data());
                Tensor term = sum(outputs[i] * Tensor(std::move(g)));
                total = total.defined() ? total + term : term;
            }
            offset += n;
        }
        if (!total.defined()) return;  // nothing inside depends on what requires grad
        total.backward();
        for (std::size_t i = 0; i < s.n_inputs; ++i)
            if (node.inputs[i]->requires_grad && inputs[i].has_grad()) accumulate(*node.inputs[i], inputs[i].grad());
    } catch (const Error& e) {
        throw GraphError("checkpoint '" + s.name + "': recomputing the segment in backward: " + e.what());
    }
}
}  // namespace

std::vector<Tensor> checkpoint(const SegmentFn& fn, const std::vector<Tensor>& inputs, const std::string& name,
                               const std::vector<Generator*>& generators) {
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i].defined()) fail<ValueError>("checkpoint '{}': input {} is undefined", name, i);
    auto seg = std::make_shared<Segment>();
    seg->fn = fn;
    seg->name = name;
    seg->n_inputs = inputs.size();
    seg->generators.push_back(&default_generator());
    for (Generator* g : generators)
        if (g && std::find(seg->generators.begin(), seg->generators.end(), g) == seg->generators.end())
            seg->generators.push_back(g);
    for (Generator* g : seg->generators) seg->states.push_back(*g);

    // Run it recording, so as to learn what it reads; its inner graph goes
    // when `outputs` does, at the end of this function.
    const std::uint64_t begin = next_seq();
    std::vector<Tensor> outputs = fn(inputs);
    for (const Tensor& o : outputs) {
        if (!o.defined()) fail<ValueError>("checkpoint '{}': the segment returned an undefined tensor", name);
        o.resolve();
    }
    std::size_t total = 0;
    for (const Tensor& o : outputs) {
        seg->shapes.push_back(o.shape());
        total += o.numel();
    }
    const bool recording = is_grad_enabled() && std::any_of(outputs.begin(), outputs.end(), [](const Tensor& o) {
                               return o.requires_grad();
                           });
    std::vector<Tensor> params;
    if (recording) params = parameters_read(outputs, inputs, begin, name);

    // One node holds every output, one after another; each output is a view of it.
    Array packed = Array::from_shape({total});
    std::size_t offset = 0;
    for (const Tensor& o : outputs) {
        std::copy(o.data(), o.data() + o.numel(), packed.data() + offset);
        offset += o.numel();
    }
    outputs.clear();  // the inner graph goes here
    std::vector<Input> node_inputs(inputs.begin(), inputs.end());
    // the parameters are read when the segment runs again: a write to one
    // before then is refused by the walk, as for any op that reads a value
    for (const Tensor& p : params) node_inputs.push_back(p);
    Tensor node = record("checkpoint", std::move(packed), node_inputs,
                         [seg](TensorImpl& y) { segment_backward(*seg, y); }, Output::unread);
    std::vector<Tensor> out;
    offset = 0;
    for (const Shape& shape : seg->shapes) {
        const std::size_t n = xt::compute_size(shape);
        std::vector<std::ptrdiff_t> dims(shape.begin(), shape.end());
        out.push_back(reshape(slice(node, 0, offset, offset + n), dims));
        offset += n;
    }
    return out;
}

std::vector<Tensor> checkpointed_loss(std::size_t T, std::size_t k, const std::vector<Tensor>& initial,
                                      const SegmentLoss& fn, const std::vector<Generator*>& generators) {
    if (k == 0) fail<ValueError>("checkpointed_loss: segments of 0 steps");
    std::vector<Tensor> state = initial;
    Tensor total;
    for (std::size_t t0 = 0; t0 < T; t0 += k) {
        const std::size_t t1 = std::min(T, t0 + k);
        std::vector<Tensor> out = checkpoint(
            [fn, t0, t1](const std::vector<Tensor>& st) { return fn(t0, t1, st); }, state,
            "steps " + std::to_string(t0) + " to " + std::to_string(t1 - 1), generators);
        if (out.empty()) fail<ValueError>("checkpointed_loss: the segment returned no loss");
        total = total.defined() ? total + out[0] : out[0];
        state.assign(out.begin() + 1, out.end());
    }
    std::vector<Tensor> result{total};
    result.insert(result.end(), state.begin(), state.end());
    return result;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
