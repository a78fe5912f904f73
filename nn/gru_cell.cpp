// SPDX-License-Identifier: MIT
#include "gru_cell.hpp"

#include "../ops/arithmetic.hpp"
#include "../ops/linear.hpp"
#include "../ops/shape.hpp"
#include "../ops/unary.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

GRUCell::GRUCell(std::size_t in, std::size_t H, Generator& gen) : RecurrentCell(in, H) {
    weight_ih = default_param(make_shape({3 * H, in}), gen);
    weight_hh = default_param(make_shape({3 * H, H}), gen);
    bias_ih = default_param(make_shape({3 * H}), gen);
    bias_hh = default_param(make_shape({3 * H}), gen);
    register_parameter("weight_ih", weight_ih);
    register_parameter("weight_hh", weight_hh);
    register_parameter("bias_ih", bias_ih);
    register_parameter("bias_hh", bias_hh);
}

// W_ir x + b_ir, W_iz x + b_iz, W_in x + b_in for every step at once
Tensor GRUCell::project_inputs(const Tensor& xs) const { return linear(xs, weight_ih, bias_ih); }

State GRUCell::step(const Tensor& x_proj, const State& state) const {
    check_state("GRUCell", x_proj, state);
    const Tensor& h = state[0];
    auto x = chunk(x_proj, 3, 1);                          // W_i* x + b_i* for r, z, n
    auto u = chunk(linear(h, weight_hh, bias_hh), 3, 1);   // W_h* h + b_h* for r, z, n
    Tensor r = sigmoid(x[0] + u[0]);   // reset gate
    Tensor z = sigmoid(x[1] + u[1]);   // update gate
    Tensor n = tanh(x[2] + r * u[2]);  // candidate state
    Tensor h_next = (1 - z) * n + z * h;
    return {h_next};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
