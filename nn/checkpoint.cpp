#include "checkpoint.hpp"

#include <set>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

NamedArrays state_dict(const Module& m) {
    NamedArrays out;
    for (const auto& [name, p] : m.named_parameters()) out[name] = p.value();
    return out;
}

void load_state_dict(Module& m, const NamedArrays& arrays, bool strict) {
    auto params = m.named_parameters();
    std::string problems;
    std::set<std::string> known;
    for (const auto& [name, p] : params) {
        known.insert(name);
        auto it = arrays.find(name);
        if (it == arrays.end())
            problems += fmt::format("; missing '{}' (shape {})", name, shape_str(p.shape()));
        else if (it->second.shape() != p.shape())
            problems += fmt::format("; '{}' has shape {} in the file, the model needs {}", name,
                                    shape_str(it->second.shape()), shape_str(p.shape()));
    }
    if (strict)
        for (const auto& [name, a] : arrays)
            if (!known.count(name)) problems += fmt::format("; unexpected '{}' (shape {})", name, shape_str(a.shape()));
    // one line, every problem named
    if (!problems.empty()) fail<ValueError>("load_state_dict: the arrays do not fit the model: {}", problems.substr(2));
    for (auto& [name, p] : params) p.mutable_value() = arrays.at(name);
}

void save_parameters(const std::string& path, const Module& m) { save_npz(path, state_dict(m)); }

void load_parameters(const std::string& path, Module& m, bool strict) {
    try {
        load_state_dict(m, load_npz(path), strict);
    } catch (const ValueError& e) {
        throw ValueError(path + ": " + e.what());
    }
}

void save_checkpoint(const std::string& path, const Module& m, const optim::Optimizer* opt) {
    NamedArrays all;
    for (auto& [k, v] : state_dict(m)) all["model/" + k] = std::move(v);
    if (opt)
        for (auto& [k, v] : opt->state()) all["optim/" + k] = std::move(v);
    save_npz(path, all);
}

void load_checkpoint(const std::string& path, Module& m, optim::Optimizer* opt) {
    NamedArrays model, optim_state;
    for (auto& [k, v] : load_npz(path)) {
        if (k.rfind("model/", 0) == 0) model[k.substr(6)] = std::move(v);
        else if (k.rfind("optim/", 0) == 0) optim_state[k.substr(6)] = std::move(v);
        else fail<ValueError>("load_checkpoint: {}: unexpected entry '{}' (not model/ or optim/)", path, k);
    }
    try {
        load_state_dict(m, model, true);
        if (opt) {
            if (optim_state.empty()) fail<ValueError>("the checkpoint has no optimizer state");
            opt->load_state(optim_state);
        }
    } catch (const Error& e) {
        throw ValueError("load_checkpoint: " + path + ": " + e.what());
    }
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
