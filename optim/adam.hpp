// SPDX-License-Identifier: MIT
#pragma once
// Adam (Kingma & Ba), with bias correction:
//     m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
//     p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// weight_decay adds weight_decay * p to g (L2); with decoupled_weight_decay
// (AdamW) it shrinks p by lr * weight_decay * p instead.

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

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
