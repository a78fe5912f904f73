// SPDX-License-Identifier: MIT
#pragma once
// Stochastic gradient descent, PyTorch's formulation:
//     g <- g + weight_decay * p
//     v <- momentum * v + g            (v = g on the first step)
//     p <- p - lr * (nesterov ? g + momentum * v : v)

#include "optimizer.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

struct SGDOptions {
    real lr = 0.01;
    real momentum = 0;
    bool nesterov = false;
    real weight_decay = 0;
};

class SGD : public Optimizer {
public:
    SGD(std::vector<Tensor> params, SGDOptions options = {});
    // SGD(params, lr): the other options at their defaults.
    SGD(std::vector<Tensor> params, real lr) : SGD(std::move(params), SGDOptions{lr}) {}
    void step() override;

private:
    SGDOptions o_;
    std::vector<Array>& velocity_;
};

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
