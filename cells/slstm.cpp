// SPDX-License-Identifier: MIT
#include "slstm.hpp"

#include <limits>

namespace tapegrad::cells {

SLSTMCell::SLSTMCell(std::size_t in, std::size_t H, Generator& gen) : RecurrentCell(in, H) {
    W = default_param(make_shape({4 * H, in}), gen);
    R = default_param(make_shape({4 * H, H}), gen);
    b = default_param(make_shape({4 * H}), gen);
    register_parameter("W", W);
    register_parameter("R", R);
    register_parameter("b", b);
}

nn::State SLSTMCell::initial_state(std::size_t B) const {
    const Shape shape = make_shape({B, hidden_size()});
    return {Tensor::zeros(shape), Tensor::zeros(shape), Tensor::zeros(shape),
            Tensor::full(shape, -std::numeric_limits<real>::infinity())};
}

Tensor SLSTMCell::project_inputs(const Tensor& xs) const { return linear(xs, W, b); }

nn::State SLSTMCell::step(const Tensor& x_proj, const nn::State& s) const {
    const Tensor &h = s[0], &c = s[1], &n = s[2], &m = s[3];
    auto pre = chunk(x_proj + linear(h, R), 4, 1);
    Tensor z = tanh(pre[0]);                          // cell input
    Tensor i_log = pre[1], f_log = pre[2];            // log of the exponential gates
    Tensor o = sigmoid(pre[3]);                       // output gate
    Tensor m_next = maximum(f_log + m, i_log);        // stabiliser
    Tensor i_gate = exp(i_log - m_next);              // i' <= 1
    Tensor f_gate = exp(f_log + m - m_next);          // f' <= 1
    Tensor c_next = f_gate * c + i_gate * z;
    Tensor n_next = f_gate * n + i_gate;
    return {o * (c_next / n_next), c_next, n_next, m_next};
}

}  // namespace tapegrad::cells
