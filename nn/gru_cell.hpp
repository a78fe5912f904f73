// SPDX-License-Identifier: MIT
#pragma once
// The GRU cell, PyTorch's convention (gates stacked r, z, n):
//     r = sigma(W_ir x + b_ir + W_hr h + b_hr)            reset gate
//     z = sigma(W_iz x + b_iz + W_hz h + b_hz)            update gate
//     n = tanh (W_in x + b_in + r * (W_hn h + b_hn))      candidate state
//     h_t = (1 - z) * n + z * h_{t-1}
// z close to 1 keeps the old state; the reset gate applies to the projected
// state (W_hn h + b_hn), not to h itself, as in PyTorch and cuDNN.

#include "cell.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

class GRUCell : public RecurrentCell {
public:
    GRUCell(std::size_t input_size, std::size_t hidden_size, Generator& gen = default_generator());
    Tensor project_inputs(const Tensor& xs) const override;
    State step(const Tensor& x_proj, const State& state) const override;

    Tensor weight_ih, weight_hh;  // [3H, in], [3H, H]
    Tensor bias_ih, bias_hh;      // [3H], [3H]
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
