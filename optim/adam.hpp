// SPDX-License-Identifier: MIT
#pragma once
// Adam (Kingma & Ba), with bias correction:
//     m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
//     p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// weight_decay adds weight_decay * p to g (L2); with decoupled_weight_decay
// (AdamW) it shrinks p by lr * weight_decay * p instead.

#include <utility>

#include "optimizer.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

struct AdamOptions {
    real lr = 1e-3;
    real beta1 = 0.9;
    real beta2 = 0.999;
    real eps = 1e-8;
    real weight_decay = 0;
    bool decoupled_weight_decay = false;  // AdamW
    // PyTorch's betas=(b1, b2): AdamOptions{3e-4}.betas({0.9, 0.98})
    AdamOptions& betas(std::pair<real, real> b) { return beta1 = b.first, beta2 = b.second, *this; }
};

class Adam : public Optimizer {
public:
    Adam(std::vector<Tensor> params, AdamOptions options = {});
    // Adam(params, lr): the other options at their defaults.
    Adam(std::vector<Tensor> params, real lr) : Adam(std::move(params), AdamOptions{lr}) {}
    void step() override;

private:
    AdamOptions o_;
    std::vector<Array>& m_;
    std::vector<Array>& v_;
};

// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, PyTorch's
// torch.optim.AdamW(params, lr, betas, eps, weight_decay) with its defaults.
class AdamW : public Adam {
public:
    AdamW(std::vector<Tensor> params, real lr = 1e-3, std::pair<real, real> betas = {0.9, 0.999}, real eps = 1e-8,
          real weight_decay = 1e-2)
        : Adam(std::move(params), AdamOptions{lr, betas.first, betas.second, eps, weight_decay, true}) {}
    // Any AdamOptions, with the decay decoupled whatever the flag says.
    AdamW(std::vector<Tensor> params, AdamOptions o) : Adam(std::move(params), decoupled(o)) {}

private:
    static AdamOptions decoupled(AdamOptions o) { return o.decoupled_weight_decay = true, o; }
};

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
