// SPDX-License-Identifier: MIT
#include "module.hpp"

#include <unordered_map>
#include <unordered_set>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

void Module::register_parameter(std::string name, Tensor& member) {
    if (!member.defined()) fail<ValueError>("register_parameter: '{}' is an undefined tensor", name);
    for (const auto& [n, p] : params_)
        if (n == name) fail<ValueError>("register_parameter: the name '{}' is already taken", name);
    member.requires_grad_(true);
    params_.emplace_back(std::move(name), &member);
}

void Module::register_module(std::string name, Module& member) {
    for (const auto& c : children_)
        if (c.name == name) fail<ValueError>("register_module: the name '{}' is already taken", name);
    children_.push_back({std::move(name), &member, false, ""});
}

void Module::register_generator(std::string name, Generator& member) {
    for (const auto& g : generators_)
        if (g.first == name) fail<ValueError>("register_generator: the name '{}' is already taken", name);
    generators_.emplace_back(std::move(name), &member);
}

std::vector<std::pair<std::string, Generator*>> Module::named_generators() const {
    std::vector<std::pair<std::string, Generator*>> out = generators_;
    for (const auto& c : children_)
        for (auto& [n, g] : c.module->named_generators())
            out.emplace_back(c.adopted ? n + c.suffix : c.name + "." + n, g);
    return out;
}

void Module::adopt_parameters(Module& child, const std::string& suffix) {
    std::vector<std::pair<std::string, Tensor*>> theirs;
    child.collect("", theirs);
    for (auto& [n, p] : theirs) {
        for (const auto& [mine, q] : params_)
            if (mine == n + suffix) fail<ValueError>("adopt_parameters: the name '{}' is already taken", mine);
        params_.emplace_back(n + suffix, p);
    }
    children_.push_back({"(adopted)" + suffix, &child, true, suffix});
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor*>>& out) const {
    for (const auto& [n, p] : params_) out.emplace_back(prefix + n, p);
    for (const auto& c : children_)
        if (!c.adopted) c.module->collect(prefix + c.name + ".", out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
    std::vector<std::pair<std::string, Tensor*>> all;
    collect("", all);
    std::vector<std::pair<std::string, Tensor>> unique;
    std::unordered_set<const TensorImpl*> seen;
    for (auto& [n, p] : all)
        if (seen.insert(p->impl()).second) unique.emplace_back(n, *p);
    return unique;
}

std::vector<std::pair<std::string, std::string>> Module::tied_names() const {
    std::vector<std::pair<std::string, Tensor*>> all;
    collect("", all);
    std::unordered_map<const TensorImpl*, std::string> first;
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& [n, p] : all) {
        auto [it, fresh] = first.emplace(p->impl(), n);
        if (!fresh) out.emplace_back(n, it->second);
    }
    return out;
}

std::vector<Tensor> Module::parameters() const {
    std::vector<Tensor> out;
    for (auto& [n, p] : named_parameters()) out.push_back(p);
    return out;
}

std::size_t Module::num_parameters() const {
    std::size_t n = 0;
    for (const Tensor& p : parameters()) n += p.numel();
    return n;
}

void Module::train(bool on) {
    training_ = on;
    for (auto& c : children_) c.module->train(on);
}

void Module::zero_grad() {
    for (Tensor p : parameters()) p.zero_grad();
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
