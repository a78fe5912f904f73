// SPDX-License-Identifier: MIT
#pragma once
// Adagrad: s <- s + g^2;  p <- p - lr g / (sqrt(s) + eps)
// (g includes weight_decay * p).

#include "optimizer.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

struct AdagradOptions {
    real lr = 1e-2;
    real eps = 1e-10;
    real weight_decay = 0;
};

class Adagrad : public Optimizer {
public:
    Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
    // Adagrad(params, lr): the other options at their defaults.
    Adagrad(std::vector<Tensor> params, real lr) : Adagrad(std::move(params), AdagradOptions{lr}) {}
    void step() override;

private:
    AdagradOptions o_;
    std::vector<Array>& sum_;
};

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
