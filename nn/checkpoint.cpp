// SPDX-License-Identifier: MIT
#include "checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

NamedArrays state_dict(const Module& m, TiedNames tied) {
    NamedArrays out;
    for (const auto& [name, p] : m.named_parameters()) out[name] = p.value();
    if (tied == TiedNames::Every)
        for (const auto& [other, listed] : m.tied_names()) out[other] = out.at(listed);
    return out;
}

namespace {
// Each parameter's values in the file: the entry under its name, or under
// another name of the same (tied) tensor. Every problem named, in one line.
std::vector<const Array*> resolve(const std::vector<std::pair<std::string, Tensor>>& params,
                                  const std::vector<std::pair<std::string, std::string>>& tied,
                                  const NamedArrays& arrays, bool strict) {
    std::string problems;
    std::set<std::string> known;
    std::vector<const Array*> values;
    for (const auto& [name, p] : params) {
        known.insert(name);
        const Array* v = nullptr;
        std::string from = name;
        if (auto it = arrays.find(name); it != arrays.end()) v = &it->second;
        for (const auto& [other, listed] : tied) {
            if (listed != name) continue;
            known.insert(other);
            auto it = arrays.find(other);
            if (it == arrays.end()) continue;
            if (!v) {
                v = &it->second, from = other;
            } else if (it->second.shape() != v->shape()) {
                problems += fmt::format("; '{}' and '{}' name one tied parameter, but have shapes {} and {}", name,
                                        other, shape_str(v->shape()), shape_str(it->second.shape()));
            } else if (auto d = std::mismatch(v->begin(), v->end(), it->second.begin()); d.first != v->end()) {
                const auto k = std::size_t(d.first - v->begin());
                problems += fmt::format("; '{}' and '{}' name one tied parameter, but differ (element {}: {} and {})",
                                        name, other, k, *d.first, *d.second);
            }
        }
        if (!v)
            problems += fmt::format("; missing '{}' (shape {})", name, shape_str(p.shape()));
        else if (v->shape() != p.shape())
            problems += fmt::format("; '{}' has shape {} in the file, the model needs {}", from, shape_str(v->shape()),
                                    shape_str(p.shape()));
        values.push_back(v);
    }
    if (strict)
        for (const auto& [name, a] : arrays)
            if (!known.count(name)) problems += fmt::format("; unexpected '{}' (shape {})", name, shape_str(a.shape()));
    if (!problems.empty()) fail<ValueError>("load_state_dict: the arrays do not fit the model: {}", problems.substr(2));
    return values;
}

// A model's new values, made before any is written: the copies are the
// part that can fail (memory), the swap afterwards cannot.
struct StagedParameters {
    std::vector<Array*> into;
    std::vector<Array> values;
    void commit() noexcept {
        for (std::size_t i = 0; i < into.size(); ++i) *into[i] = std::move(values[i]);
    }
};
StagedParameters stage(std::vector<std::pair<std::string, Tensor>>& params, const std::vector<const Array*>& from) {
    StagedParameters s;
    for (std::size_t i = 0; i < params.size(); ++i) {
        s.values.push_back(*from[i]);
        s.into.push_back(&params[i].second.mutable_value());
    }
    return s;
}
}  // namespace

void load_state_dict(Module& m, const NamedArrays& arrays, bool strict) {
    auto params = m.named_parameters();
    stage(params, resolve(params, m.tied_names(), arrays, strict)).commit();
}

void save_parameters(const std::string& path, const Module& m, TiedNames tied) {
    save_npz(path, state_dict(m, tied));
}

void load_parameters(const std::string& path, Module& m, bool strict) {
    try {
        load_state_dict(m, load_npz(path), strict);
    } catch (const ValueError& e) {
        throw ValueError(path + ": " + e.what());
    }
}

namespace {
void check_name(const char* what, const std::string& n) {
    if (n.empty() || n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") != std::string::npos)
        fail<ValueError>("checkpoint: '{}' cannot name a {} (use [a-z0-9_.])", n, what);
}

// Every generator a run draws from: the model's, this thread's default, the program's.
Generators all_generators(const Module& m, const Generators& program) {
    Generators all;
    for (auto& [n, g] : m.named_generators()) all.emplace_back("model." + n, g);
    all.emplace_back("default", &default_generator());
    for (const auto& [n, g] : program) {
        check_name("generator", n);
        if (n == "default" || n.rfind("model.", 0) == 0)
            fail<ValueError>("checkpoint: '{}' cannot name a generator ('default' and 'model.*' are taken)", n);
        if (!g) fail<ValueError>("checkpoint: generator '{}' is null", n);
        all.emplace_back(n, g);
    }
    return all;
}

// A counter as four 16-bit pieces, which float32 holds exactly.
Array encode_counter(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    Array a = Array::from_shape({4});
    for (std::size_t k = 0; k < 4; ++k) a(k) = static_cast<real>((u >> (16 * k)) & 0xffff);
    return a;
}
std::int64_t decode_counter(const Array& a, const std::string& what) {
    if (a.shape() != Shape{4}) fail<ValueError>("{}: a counter has shape [4], this one {}", what, shape_str(a.shape()));
    std::uint64_t u = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        const real piece = a(k);
        if (!(piece >= 0 && piece <= 0xffff) || piece != std::floor(piece))
            fail<ValueError>("{}: element {} is {}, not a 16-bit piece of a counter", what, k, piece);
        u |= static_cast<std::uint64_t>(piece) << (16 * k);
    }
    return static_cast<std::int64_t>(u);
}
}  // namespace

void save_checkpoint(const std::string& path, const Module& m, const optim::Optimizer* opt, const RunState& run) {
    NamedArrays all;
    for (auto& [k, v] : state_dict(m)) all["model/" + k] = std::move(v);
    if (opt)
        for (auto& [k, v] : opt->state()) all["optim/" + k] = std::move(v);
    for (const auto& [n, g] : all_generators(m, run.generators)) all["rng/" + n] = g->state();
    for (const auto& [n, v] : run.counters) {
        check_name("counter", n);
        all["meta/" + n] = encode_counter(v);
    }
    for (const auto& [n, a] : run.values) {
        check_name("value", n);
        all["value/" + n] = a;
    }
    save_npz(path, all);
}

std::int64_t RunState::counter(const std::string& name) const {
    auto it = counters.find(name);
    if (it == counters.end()) fail<ValueError>("checkpoint: no counter '{}' (meta/{}) was saved", name, name);
    return it->second;
}

void load_checkpoint(const std::string& path, Module& m, optim::Optimizer* opt) {
    RunState none;
    load_checkpoint(path, m, opt, none);
}

void load_checkpoint(const std::string& path, Module& m, optim::Optimizer* opt, RunState& run) {
    const Generators& generators = run.generators;
    NamedArrays model, optim_state, rng, meta, values;
    for (auto& [k, v] : load_npz(path)) {
        if (k.rfind("model/", 0) == 0) model[k.substr(6)] = std::move(v);
        else if (k.rfind("optim/", 0) == 0) optim_state[k.substr(6)] = std::move(v);
        else if (k.rfind("rng/", 0) == 0) rng[k.substr(4)] = std::move(v);
        else if (k.rfind("meta/", 0) == 0) meta[k.substr(5)] = std::move(v);
        else if (k.rfind("value/", 0) == 0) values[k.substr(6)] = std::move(v);
        else fail<ValueError>("load_checkpoint: {}: unexpected entry '{}' (not model/, optim/, rng/, meta/ or value/)", path, k);
    }
    try {
        // 1. check everything
        auto params = m.named_parameters();
        const std::vector<const Array*> model_values = resolve(params, m.tied_names(), model, true);
        if (opt) {
            if (optim_state.empty()) fail<ValueError>("the checkpoint has no optimizer state");
            opt->check_state(optim_state);
        }
        const Generators gens = all_generators(m, generators);
        std::vector<Generator> restored;
        for (const auto& [n, g] : gens) {
            auto it = rng.find(n);
            if (it == rng.end())
                fail<ValueError>("missing entry 'rng/{}': the state of a generator the run draws from", n);
            restored.push_back(Generator::from_state(it->second, "entry 'rng/" + n + "'"));
        }
        if (rng.size() != gens.size())
            for (const auto& [n, a] : rng)
                if (std::none_of(gens.begin(), gens.end(), [&](const auto& g) { return g.first == n; }))
                    fail<ValueError>("unexpected entry 'rng/{}': pass that generator to load_checkpoint too", n);
        std::map<std::string, std::int64_t> counters;
        for (const auto& [n, a] : meta) counters[n] = decode_counter(a, "entry 'meta/" + n + "'");
        // 2. then change: the optimizer's load is all or nothing itself, the rest cannot fail
        StagedParameters staged = stage(params, model_values);
        if (opt) opt->load_state(optim_state);
        staged.commit();
        for (std::size_t i = 0; i < gens.size(); ++i) *gens[i].second = std::move(restored[i]);
        run.counters.swap(counters);
        run.values.swap(values);
    } catch (const Error& e) {
        throw ValueError("load_checkpoint: " + path + ": " + e.what());
    }
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
