// SPDX-License-Identifier: MIT
#pragma once
// The LSTM cell, gates in PyTorch's order (i, f, g, o):
//     i = sigma(W_ii x + b_ii + W_hi h + b_hi)     input gate
//     f = sigma(W_if x + b_if + W_hf h + b_hf)     forget gate
//     g = tanh (W_ig x + b_ig + W_hg h + b_hg)     candidate
//     o = sigma(W_io x + b_io + W_ho h + b_ho)     output gate
//     c_t = f * c_{t-1} + i * g
//     h_t = o * tanh(c_t)
// The four gate matrices are stacked in weight_ih [4H, in] and
// weight_hh [4H, H], so each step is one GEMM for all gates.

#include "cell.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

class LSTMCell : public RecurrentCell {
public:
    // forget_bias_one: start the forget gate open (b_if = 1), which helps
    // gradients flow through long sequences early in training.
    LSTMCell(std::size_t input_size, std::size_t hidden_size, bool forget_bias_one = false,
             Generator& gen = default_generator());
    std::size_t num_states() const override { return 2; }  // {h, c}
    Tensor project_inputs(const Tensor& xs) const override;
    State step(const Tensor& x_proj, const State& state) const override;

    Tensor weight_ih, weight_hh;  // [4H, in], [4H, H]
    Tensor bias_ih, bias_hh;      // [4H], [4H]
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
