// SPDX-License-Identifier: MIT
#pragma once
// Learning-rate schedules: call step() once per epoch (or per chosen unit).

#include <cmath>

#include "optimizer.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

// lr = base * gamma^floor(epoch / step_size)
class StepLR {
public:
    StepLR(Optimizer& opt, std::size_t step_size, real gamma)
        : opt_(opt), base_(opt.lr()), step_size_(step_size), gamma_(gamma) {
        if (step_size == 0) fail<ValueError>("StepLR: step_size must be at least 1");
    }
    void step() {
        ++epoch_;
        opt_.set_lr(static_cast<real>(base_ * std::pow(double(gamma_), double(epoch_ / step_size_))));
    }
    std::size_t epoch() const { return epoch_; }

private:
    Optimizer& opt_;
    real base_;
    std::size_t step_size_, epoch_ = 0;
    real gamma_;
};

// lr = base * gamma^epoch
class ExponentialLR {
public:
    ExponentialLR(Optimizer& opt, real gamma) : opt_(opt), base_(opt.lr()), gamma_(gamma) {}
    void step() {
        ++epoch_;
        opt_.set_lr(static_cast<real>(base_ * std::pow(double(gamma_), double(epoch_))));
    }
    std::size_t epoch() const { return epoch_; }

private:
    Optimizer& opt_;
    real base_;
    real gamma_;
    std::size_t epoch_ = 0;
};

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
