#include "gru_cell.hpp"

#include "../ops/arithmetic.hpp"
#include "../ops/gates.hpp"
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

// W_i* x_t + b_i* for r, z, n and all t at once
Tensor GRUCell::project_inputs(const Tensor& xs) const { return linear(xs, weight_ih, bias_ih); }

State GRUCell::step(const Tensor& x_t, const State& state) const {
    check_state("GRUCell", x_t, state);
    const Tensor& h = state[0];
    Tensor hg = linear(h, weight_hh, bias_hh);  // W_hr h + b_hr, W_hz h + b_hz, W_hn h + b_hn
    // The same as, written op by op,
    //     auto xi = chunk(x_t, 3, 1), hh = chunk(hg, 3, 1);
    //     r = sigmoid(xi[0] + hh[0]);  z = sigmoid(xi[1] + hh[1]);
    //     n = tanh(xi[2] + r * hh[2]);
    //     h_next = (1 - z) * n + z * h;
    // in one fused op (ops/gates.hpp).
    return {gru_hidden(x_t, hg, h)};
}

// The same step with x_t read as slice t of the projected inputs, where it
// lies: no copy of the slice each step.
State GRUCell::step_at(const Tensor& projected, std::size_t t, const State& state) const {
    check_state("GRUCell", projected.dim() > 1 ? projected.shape()[1] : 0, state);  // [T, B, 3H]
    return {gru_hidden(projected, t, linear(state[0], weight_hh, bias_hh), state[0])};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
