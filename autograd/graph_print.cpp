// SPDX-License-Identifier: MIT
#include "graph_print.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// All tensors reachable from root through the tape (leaves included), in
// creation order, with a dense number for each.
std::vector<const TensorImpl*> collect(const Tensor& root, std::map<const TensorImpl*, std::size_t>& number) {
    std::vector<const TensorImpl*> all;
    if (!root.defined()) return all;
    root.resolve();  // a pending value is recorded when first read (the nodes below it already are)
    std::unordered_set<const TensorImpl*> seen{root.impl()};
    std::vector<const TensorImpl*> stack{root.impl()};
    while (!stack.empty()) {  // iterative: a 20,000-step graph prints too
        const TensorImpl* n = stack.back();
        stack.pop_back();
        all.push_back(n);
        for (const ImplPtr& in : n->inputs)
            if (seen.insert(in.get()).second) stack.push_back(in.get());
    }
    std::sort(all.begin(), all.end(), [](const TensorImpl* a, const TensorImpl* b) { return a->seq < b->seq; });
    for (std::size_t i = 0; i < all.size(); ++i) number[all[i]] = i;
    return all;
}

std::string name_of(const TensorImpl* t) { return t->op ? t->op : "leaf"; }
}  // namespace

std::string tape_text(const Tensor& root) {
    std::map<const TensorImpl*, std::size_t> number;
    std::string out;
    for (const TensorImpl* n : collect(root, number)) {
        std::string line = fmt::format("#{:<3} {:<16} {:<12} {:<10}", number[n], name_of(n), n->label,
                                       shape_str(n->value.shape()));
        if (!n->inputs.empty()) {
            line += " <- ";
            for (std::size_t i = 0; i < n->inputs.size(); ++i) {
                const TensorImpl* in = n->inputs[i].get();
                line += fmt::format("{}#{}{}", i ? ", " : "", number[in], in->label.empty() ? "" : " " + in->label);
            }
        } else if (n->op) {
            line += " (freed by backward)";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string tape_dot(const Tensor& root, const std::string& title) {
    std::map<const TensorImpl*, std::size_t> number;
    std::string out = "digraph tape {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=11];\n";
    if (!title.empty()) out += fmt::format("  labelloc=t; label=\"{}\";\n", title);
    for (const TensorImpl* n : collect(root, number)) {
        const std::string shape = shape_str(n->value.shape());
        if (n->op)
            out += fmt::format("  n{} [shape=box, style=filled, fillcolor=\"#dde8f7\", label=\"{}\\n{}{}\"];\n",
                               number[n], n->op, shape, n->label.empty() ? "" : "\\n" + n->label);
        else
            out += fmt::format("  n{} [shape=ellipse, style=filled, fillcolor=\"{}\", label=\"{}\\n{}\"];\n",
                               number[n], n->requires_grad ? "#f7e3c6" : "#eeeeee",
                               n->label.empty() ? "leaf" : n->label, shape);
        for (const ImplPtr& in : n->inputs) out += fmt::format("  n{} -> n{};\n", number[in.get()], number[n]);
    }
    return out + "}\n";
}

std::size_t graph_size(const Tensor& t) {
    if (!t.defined() || !t.requires_grad() || t.is_leaf()) return 0;
    std::unordered_set<const TensorImpl*> seen{t.impl()};
    std::vector<const TensorImpl*> stack{t.impl()};
    while (!stack.empty()) {
        const TensorImpl* n = stack.back();
        stack.pop_back();
        for (const ImplPtr& in : n->inputs)
            if (in->requires_grad && !in->is_leaf() && seen.insert(in.get()).second) stack.push_back(in.get());
    }
    return seen.size();
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
