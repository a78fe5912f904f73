// SPDX-License-Identifier: MIT
#include "lstm_cell.hpp"

#include "../ops/arithmetic.hpp"
#include "../ops/linear.hpp"
#include "../ops/shape.hpp"
#include "../ops/unary.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

LSTMCell::LSTMCell(std::size_t in, std::size_t H, bool forget_bias_one, Generator& gen) : RecurrentCell(in, H) {
    weight_ih = default_param(make_shape({4 * H, in}), gen);
    weight_hh = default_param(make_shape({4 * H, H}), gen);
    bias_ih = default_param(make_shape({4 * H}), gen);
    bias_hh = default_param(make_shape({4 * H}), gen);
    if (forget_bias_one)
        for (std::size_t j = H; j < 2 * H; ++j) {
            bias_ih.mutable_value()(j) = 1;
            bias_hh.mutable_value()(j) = 0;
        }
    register_parameter("weight_ih", weight_ih);
    register_parameter("weight_hh", weight_hh);
    register_parameter("bias_ih", bias_ih);
    register_parameter("bias_hh", bias_hh);
}

// W_ii x + b_ii, W_if x + b_if, W_ig x + b_ig, W_io x + b_io for every step
// at once: the sequence layer calls this once and hands step() its slice.
Tensor LSTMCell::project_inputs(const Tensor& xs) const { return linear(xs, weight_ih, bias_ih); }

State LSTMCell::step(const Tensor& x_proj, const State& state) const {
    check_state("LSTMCell", x_proj, state);
    const Tensor& h = state[0];
    const Tensor& c = state[1];
    auto a = chunk(x_proj + linear(h, weight_hh, bias_hh), 4, 1);  // pre-activations, [B, H] each
    Tensor i = sigmoid(a[0]);  // input gate
    Tensor f = sigmoid(a[1]);  // forget gate
    Tensor g = tanh(a[2]);     // candidate cell
    Tensor o = sigmoid(a[3]);  // output gate
    Tensor c_next = f * c + i * g;
    Tensor h_next = o * tanh(c_next);
    return {h_next, c_next};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
