// SPDX-License-Identifier: MIT
#include "rnn_cell.hpp"

#include "../ops/arithmetic.hpp"
#include "../ops/linear.hpp"
#include "../ops/unary.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

RNNCell::RNNCell(std::size_t in, std::size_t H, Nonlinearity nl, Generator& gen)
    : RecurrentCell(in, H), nonlinearity(nl) {
    weight_ih = default_param(make_shape({H, in}), gen);
    weight_hh = default_param(make_shape({H, H}), gen);
    bias_ih = default_param(make_shape({H}), gen);
    bias_hh = default_param(make_shape({H}), gen);
    register_parameter("weight_ih", weight_ih);
    register_parameter("weight_hh", weight_hh);
    register_parameter("bias_ih", bias_ih);
    register_parameter("bias_hh", bias_hh);
}

// W_ih x_t + b_ih for every step at once
Tensor RNNCell::project_inputs(const Tensor& xs) const { return linear(xs, weight_ih, bias_ih); }

State RNNCell::step(const Tensor& x_proj, const State& state) const {
    check_state("RNNCell", x_proj, state);
    const Tensor& h = state[0];
    Tensor pre = x_proj + linear(h, weight_hh, bias_hh);  // W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    Tensor h_next = nonlinearity == Nonlinearity::Tanh ? tanh(pre) : relu(pre);
    return {h_next};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
