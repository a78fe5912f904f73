// SPDX-License-Identifier: MIT
#include "optimizer.hpp"

#include <cmath>
#include <limits>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

namespace {
void check_lr(const char* who, real lr) {
    if (!(lr >= 0) || !std::isfinite(lr)) fail<ValueError>("{}: learning rate {} is not a finite number >= 0", who, lr);
}
}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, real lr) : params_(std::move(params)), lr_(lr) {
    check_lr("optimizer", lr);
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (!params_[i].defined()) fail<ValueError>("optimizer: parameter {} is undefined", i);
        if (!params_[i].is_leaf() || !params_[i].requires_grad())
            fail<ValueError>("optimizer: parameter {} (shape {}) is not a leaf that requires grad", i,
                             shape_str(params_[i].shape()));
    }
}

void Optimizer::set_lr(real lr) {
    check_lr("optimizer set_lr", lr);
    lr_ = lr;
}

void Optimizer::zero_grad() {
    for (Tensor& p : params_) p.zero_grad();
}

StateDict Optimizer::state() const {
    StateDict s;
    s["step"] = Array(static_cast<real>(steps_));
    s["lr"] = Array(lr_);
    for (const auto& b : buffers_)
        for (std::size_t i = 0; i < b.arrays.size(); ++i) s[b.name + "." + std::to_string(i)] = b.arrays[i];
    return s;
}

void Optimizer::check_state(const StateDict& state) const {
    // A file's values are checked as the constructor checks an argument:
    // a loaded NaN or a negative rate would otherwise train on silently.
    auto scalar = [&](const char* key) {
        auto it = state.find(key);
        if (it == state.end()) fail<ValueError>("optimizer load_state: missing entry '{}'", key);
        if (it->second.size() != 1)
            fail<ValueError>("optimizer load_state: entry '{}' has shape {}, a single number is needed", key,
                             shape_str(it->second.shape()));
        return double(*it->second.data());
    };
    const double step = scalar("step"), lr = scalar("lr");
    // whole, and small enough to count in `real` exactly
    const double max_step = double(std::uint64_t(1) << std::numeric_limits<real>::digits);
    if (!(step >= 0 && step <= max_step) || step != std::floor(step))
        fail<ValueError>("optimizer load_state: step {} is not a whole number in [0, {}]", step, max_step);
    if (!(lr >= 0) || !std::isfinite(lr))
        fail<ValueError>("optimizer load_state: learning rate {} is not a finite number >= 0", lr);
    std::size_t expected = 2;
    for (const auto& b : buffers_)
        for (std::size_t i = 0; i < b.arrays.size(); ++i) {
            const std::string key = b.name + "." + std::to_string(i);
            auto it = state.find(key);
            if (it == state.end()) fail<ValueError>("optimizer load_state: missing entry '{}'", key);
            ++expected;
            const Array& a = it->second;
            if (a.shape() != params_[i].shape())
                fail<ValueError>("optimizer load_state: entry '{}' has shape {}, parameter {} has shape {}", key,
                                 shape_str(a.shape()), i, shape_str(params_[i].shape()));
            for (std::size_t k = 0; k < a.size(); ++k) {
                const real v = a.data()[k];
                if (!std::isfinite(v) || (b.nonnegative && v < 0))
                    fail<ValueError>("optimizer load_state: entry '{}' holds {} at element {}{}", key, v, k,
                                     b.nonnegative ? " (it must be finite and >= 0)" : " (it must be finite)");
            }
        }
    if (state.size() != expected)
        for (const auto& [key, a] : state) {
            bool known = key == "step" || key == "lr";
            for (const auto& b : buffers_)
                for (std::size_t i = 0; i < b.arrays.size() && !known; ++i) known = key == b.name + "." + std::to_string(i);
            if (!known)
                fail<ValueError>("optimizer load_state: unexpected entry '{}' (shape {}): state of another optimizer "
                                 "or another model?",
                                 key, shape_str(a.shape()));
        }
}

void Optimizer::load_state(const StateDict& state) {
    check_state(state);
    // copy first, then swap in: nothing changes if a copy cannot be made
    std::vector<std::vector<Array>> fresh;
    for (const auto& b : buffers_) {
        fresh.emplace_back();
        for (std::size_t i = 0; i < b.arrays.size(); ++i) fresh.back().push_back(state.at(b.name + "." + std::to_string(i)));
    }
    steps_ = static_cast<std::size_t>(*state.at("step").data());
    lr_ = *state.at("lr").data();
    for (std::size_t j = 0; j < buffers_.size(); ++j)
        for (std::size_t i = 0; i < fresh[j].size(); ++i) buffers_[j].arrays[i] = std::move(fresh[j][i]);
}

std::vector<Array>& Optimizer::add_buffers(const std::string& name, bool nonnegative) {
    std::vector<Array> bufs;
    for (const Tensor& p : params_) bufs.emplace_back(p.shape(), real(0));
    buffers_.push_back({name, nonnegative, std::move(bufs)});
    return buffers_.back().arrays;
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
