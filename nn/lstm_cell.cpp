#include "lstm_cell.hpp"

#include "../ops/arithmetic.hpp"
#include "../ops/gates.hpp"
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

// W_i* x_t + b_i* for all four gates and all t at once
Tensor LSTMCell::project_inputs(const Tensor& xs) const { return linear(xs, weight_ih, bias_ih); }

State LSTMCell::step(const Tensor& x_t, const State& state) const {
    check_state("LSTMCell", x_t, state);
    const Tensor& h = state[0];
    const Tensor& c = state[1];
    Tensor gates = linear_add(x_t, h, weight_hh, bias_hh);  // x_t + W_hh h + b_hh: [B, 4H], i, f, g, o
    // The same as, written op by op,
    //     auto [i, f, g, o] = chunk(gates, 4, 1);
    //     c_next = sigmoid(f) * c + sigmoid(i) * tanh(g);
    //     h_next = sigmoid(o) * tanh(c_next);
    // in two fused ops (ops/gates.hpp): one pass each instead of thirteen.
    Tensor c_next = lstm_cell_state(gates, c);  // c_t = f * c_{t-1} + i * g
    Tensor h_next = lstm_hidden(gates, c_next);  // h_t = o * tanh(c_t)
    return {h_next, c_next};
}

// The same step with x_t read as slice t of the projected inputs, where it
// lies (see linear_add): no copy of the slice each step.
State LSTMCell::step_at(const Tensor& projected, std::size_t t, const State& state) const {
    check_state("LSTMCell", projected.dim() > 1 ? projected.shape()[1] : 0, state);  // [T, B, 4H]
    Tensor gates = linear_add(projected, t, state[0], weight_hh, bias_hh);
    Tensor c_next = lstm_cell_state(gates, state[1]);
    return {lstm_hidden(gates, c_next), c_next};
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
