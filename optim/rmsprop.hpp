// SPDX-License-Identifier: MIT
#pragma once
// RMSProp: v <- alpha v + (1 - alpha) g^2;  p <- p - lr g / (sqrt(v) + eps)
// (g includes weight_decay * p).

#include "optimizer.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

struct RMSPropOptions {
    real lr = 1e-2;
    real alpha = 0.99;
    real eps = 1e-8;
    real weight_decay = 0;
};

class RMSProp : public Optimizer {
public:
    RMSProp(std::vector<Tensor> params, RMSPropOptions options = {});
    // RMSProp(params, lr): the other options at their defaults.
    RMSProp(std::vector<Tensor> params, real lr) : RMSProp(std::move(params), RMSPropOptions{lr}) {}
    void step() override;

private:
    RMSPropOptions o_;
    std::vector<Array>& square_avg_;
};

// PyTorch's spelling, torch.optim.RMSprop.
using RMSprop = RMSProp;
using RMSpropOptions = RMSPropOptions;

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
