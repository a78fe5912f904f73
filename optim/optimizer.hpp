// SPDX-License-Identifier: MIT
#pragma once
// Optimizers update parameters in place from their accumulated gradients.
// A parameter that received no gradient this step is left alone.

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "../speed/parallel.hpp"
#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

// Named arrays: an optimizer's state, for checkpoints and exact resume.
using StateDict = std::map<std::string, Array>;

class Optimizer {
public:
    Optimizer(std::vector<Tensor> params, real lr);
    virtual ~Optimizer() = default;

    virtual void step() = 0;
    void zero_grad();
    real lr() const { return lr_; }
    void set_lr(real lr);  // finite and >= 0, as the constructor checks
    const std::vector<Tensor>& params() const { return params_; }

    // Everything step() depends on besides the parameters: "step", "lr" and
    // each per-parameter buffer, e.g. "exp_avg.0", "exp_avg.1", ...
    StateDict state() const;
    // Restores state(): all or nothing. Throws, changing nothing, naming
    // any entry that is missing, unexpected, of the wrong shape, or holds a
    // value the constructor would refuse (a negative or non-finite rate, a
    // step count that is not a whole number, NaN in a buffer, a negative
    // mean square).
    void load_state(const StateDict& state);
    // The checks of load_state alone (load_checkpoint runs every check of a
    // checkpoint before changing anything).
    void check_state(const StateDict& state) const;

protected:
    // Registers a set of per-parameter buffers (zero, each of its parameter's
    // shape) under `name`, so state()/load_state() carry it. A loaded buffer
    // must be finite, and >= 0 if `nonnegative` (a mean square, a sum of
    // squares: a square root is taken of it).
    std::vector<Array>& add_buffers(const std::string& name, bool nonnegative = false);

    // f(i, weights, gradient, k0, k1): update elements [k0, k1) of every
    // parameter i that has a gradient. A large parameter's range is shared
    // among tapegrad's threads; each element's update is independent, so the
    // result does not depend on the thread count.
    template <class F>
    void for_each_gradient(F f) {
        for (std::size_t i = 0; i < params_.size(); ++i) {
            Tensor& p = params_[i];
            if (!p.has_grad()) continue;
            real* w = p.mutable_value().data();
            const real* g = p.grad().data();
            parallel_for(p.numel(), kElementGrain, [&](std::size_t k0, std::size_t k1) { f(i, w, g, k0, k1); });
        }
    }

    std::vector<Tensor> params_;
    real lr_;
    std::size_t steps_ = 0;

private:
    // a deque: add_buffers hands out references that must stay valid
    struct Buffers {
        std::string name;
        bool nonnegative;
        std::vector<Array> arrays;
    };
    std::deque<Buffers> buffers_;
};

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
