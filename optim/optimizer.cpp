#include "optimizer.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

Optimizer::Optimizer(std::vector<Tensor> params, real lr) : params_(std::move(params)), lr_(lr) {
    if (!(lr >= 0)) fail<ValueError>("optimizer: learning rate {} is negative", lr);
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (!params_[i].defined()) fail<ValueError>("optimizer: parameter {} is undefined", i);
        if (!params_[i].is_leaf() || !params_[i].requires_grad())
            fail<ValueError>("optimizer: parameter {} (shape {}) is not a leaf that requires grad", i,
                             shape_str(params_[i].shape()));
    }
}

void Optimizer::zero_grad() {
    for (Tensor& p : params_) p.zero_grad();
}

StateDict Optimizer::state() const {
    StateDict s;
    s["step"] = Array(static_cast<real>(steps_));
    s["lr"] = Array(lr_);
    for (const auto& [name, bufs] : buffers_)
        for (std::size_t i = 0; i < bufs.size(); ++i) s[name + "." + std::to_string(i)] = bufs[i];
    return s;
}

void Optimizer::load_state(const StateDict& state) {
    for (const char* key : {"step", "lr"})
        if (!state.count(key)) fail<ValueError>("optimizer load_state: missing entry '{}'", key);
    // check everything before changing anything
    for (const auto& [name, bufs] : buffers_)
        for (std::size_t i = 0; i < bufs.size(); ++i) {
            const std::string key = name + "." + std::to_string(i);
            auto it = state.find(key);
            if (it == state.end()) fail<ValueError>("optimizer load_state: missing entry '{}'", key);
            if (it->second.shape() != params_[i].shape())
                fail("optimizer load_state: entry '{}' has shape {}, parameter {} has shape {}", key,
                     shape_str(it->second.shape()), i, shape_str(params_[i].shape()));
        }
    steps_ = static_cast<std::size_t>(state.at("step").data()[0]);
    lr_ = state.at("lr").data()[0];
    for (auto& [name, bufs] : buffers_)
        for (std::size_t i = 0; i < bufs.size(); ++i) bufs[i] = state.at(name + "." + std::to_string(i));
}

std::vector<Array>& Optimizer::add_buffers(const std::string& name) {
    std::vector<Array> bufs;
    for (const Tensor& p : params_) bufs.emplace_back(p.shape(), real(0));
    buffers_.emplace_back(name, std::move(bufs));
    return buffers_.back().second;
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
