// SPDX-License-Identifier: MIT
#pragma once
// The vanilla (Elman) RNN cell:
//     h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)     (or ReLU)
// with PyTorch's parameter names and shapes.

#include "cell.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

enum class Nonlinearity { Tanh, ReLU };

class RNNCell : public RecurrentCell {
public:
    RNNCell(std::size_t input_size, std::size_t hidden_size, Nonlinearity nl = Nonlinearity::Tanh,
            Generator& gen = default_generator());
    Tensor project_inputs(const Tensor& xs) const override;
    State step(const Tensor& x_proj, const State& state) const override;

    Tensor weight_ih, weight_hh;  // [H, in], [H, H]
    Tensor bias_ih, bias_hh;      // [H], [H]
    Nonlinearity nonlinearity;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
