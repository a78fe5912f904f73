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

// Linear warm-up, then cosine decay (the Transformer's usual schedule):
//   lr(t) = base (t + 1) / (warmup + 1)                          t < warmup
//   lr(t) = min + (base - min) (1 + cos(pi (t - warmup) / (total - warmup))) / 2   warmup <= t < total
// with min = base * min_ratio, and lr(t) = min after total. t counts step()
// calls; a resumed run sets it with set_epoch() (the rate is a function of t).
class WarmupCosineLR {
public:
    WarmupCosineLR(Optimizer& opt, std::size_t warmup, std::size_t total, real min_ratio = 0)
        : opt_(opt), base_(opt.lr()), warmup_(warmup), total_(total), min_ratio_(min_ratio) {
        if (total == 0 || warmup > total)
            fail<ValueError>("WarmupCosineLR: warmup {} must not exceed total {} (and total must be at least 1)", warmup,
                             total);
        if (!(min_ratio >= 0 && min_ratio <= 1)) fail<ValueError>("WarmupCosineLR: min_ratio {} is outside [0, 1]", min_ratio);
        set_epoch(0);
    }
    real lr_at(std::size_t t) const {
        const double base = double(base_), lo = base * double(min_ratio_);
        if (t < warmup_) return static_cast<real>(base * double(t + 1) / double(warmup_ + 1));
        if (t >= total_ || total_ == warmup_) return static_cast<real>(lo);
        const double pi = 3.14159265358979323846, x = double(t - warmup_) / double(total_ - warmup_);
        return static_cast<real>(lo + (base - lo) * 0.5 * (1 + std::cos(pi * x)));
    }
    void step() { set_epoch(epoch_ + 1); }
    void set_epoch(std::size_t t) {
        epoch_ = t;
        opt_.set_lr(lr_at(t));
    }
    std::size_t epoch() const { return epoch_; }

private:
    Optimizer& opt_;
    real base_;
    std::size_t warmup_, total_;
    real min_ratio_;
    std::size_t epoch_ = 0;
};

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
