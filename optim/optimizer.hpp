#pragma once
// Optimizers update parameters in place from their accumulated gradients.
// A parameter that received no gradient this step is left alone.

#include <map>
#include <string>
#include <vector>

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
    void set_lr(real lr) { lr_ = lr; }
    const std::vector<Tensor>& params() const { return params_; }

    // Everything step() depends on besides the parameters, e.g. "step",
    // "exp_avg.0", "exp_avg.1", ... (one entry per parameter index).
    virtual StateDict state() const;
    // Restores state(); throws naming any entry that is missing or of the
    // wrong shape.
    virtual void load_state(const StateDict& state);

protected:
    // One buffer per parameter, zero, of the parameter's shape.
    std::vector<Array> zero_buffers() const;
    void save_buffers(StateDict& out, const std::string& name, const std::vector<Array>& bufs) const;
    void load_buffers(const StateDict& in, const std::string& name, std::vector<Array>& bufs) const;

    std::vector<Tensor> params_;
    real lr_;
    std::size_t steps_ = 0;
};

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
