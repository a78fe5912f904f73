// SPDX-License-Identifier: MIT
#include "min_gru.hpp"

#include "log_scan.hpp"

namespace tapegrad::cells {
namespace {
ScanOutput finish(const Tensor& h, const std::vector<std::size_t>& lengths) {
    const std::size_t T = h.shape()[0];
    // padded steps kept the state, so the last step holds each sequence's final h
    ScanOutput out{h, select(h, T - 1)};
    if (!lengths.empty()) out.output = h * step_mask(T, lengths);
    return out;
}
}  // namespace

MinGRUCell::MinGRUCell(std::size_t in, std::size_t H, Generator& gen) : RecurrentCell(in, H) {
    weight = default_param(make_shape({2 * H, in}), gen);
    bias = default_param(make_shape({2 * H}), gen);
    register_parameter("weight", weight);
    register_parameter("bias", bias);
}

Tensor MinGRUCell::project_inputs(const Tensor& xs) const { return linear(xs, weight, bias); }

nn::State MinGRUCell::step(const Tensor& k, const nn::State& s) const {
    auto pre = chunk(k, 2, -1);
    Tensor z = sigmoid(pre[0]);  // update gate
    Tensor h_tilde = g(pre[1]);  // candidate
    return {(real(1) - z) * s[0] + z * h_tilde};
}

// h_t = a_t h_{t-1} + b_t with a = 1 - z, b = z * h~:
//   log a = log(1 - sigma(k_z)) = log_sigmoid(-k_z)
//   log b = log z + log h~,  log z = log_sigmoid(k_z) = k_z + log a  (one softplus fewer)
ScanOutput MinGRUCell::scan(const Tensor& xs, const std::vector<std::size_t>& lengths) const {
    auto pre = chunk(project_inputs(xs), 2, -1);
    Tensor log_a = log_sigmoid(-pre[0]);
    Tensor log_b = pre[0] + log_a + log_g(pre[1]);
    keep_state_at_padding(log_a, log_b, lengths);
    return finish(log_space_scan(log_a, log_b), lengths);
}

MinLSTMCell::MinLSTMCell(std::size_t in, std::size_t H, Generator& gen) : RecurrentCell(in, H) {
    weight = default_param(make_shape({3 * H, in}), gen);
    bias = default_param(make_shape({3 * H}), gen);
    register_parameter("weight", weight);
    register_parameter("bias", bias);
}

Tensor MinLSTMCell::project_inputs(const Tensor& xs) const { return linear(xs, weight, bias); }

nn::State MinLSTMCell::step(const Tensor& k, const nn::State& s) const {
    auto pre = chunk(k, 3, -1);
    Tensor f = sigmoid(pre[0]);  // forget gate
    Tensor i = sigmoid(pre[1]);  // input gate
    Tensor f_norm = f / (f + i), i_norm = i / (f + i);
    Tensor h_tilde = g(pre[2]);  // candidate
    return {f_norm * s[0] + i_norm * h_tilde};
}

// log f' = log f - log(f + i) = -softplus(d), log i' = -softplus(-d), with
// d = log i - log f = softplus(-k_f) - softplus(-k_i)  (log sigma(k) = -softplus(-k))
ScanOutput MinLSTMCell::scan(const Tensor& xs, const std::vector<std::size_t>& lengths) const {
    auto pre = chunk(project_inputs(xs), 3, -1);
    Tensor d = softplus(-pre[0]) - softplus(-pre[1]);
    Tensor log_a = -softplus(d);
    Tensor log_b = d + log_a + log_g(pre[2]);  // log i' = -softplus(-d) = d - softplus(d)
    keep_state_at_padding(log_a, log_b, lengths);
    return finish(log_space_scan(log_a, log_b), lengths);
}

}  // namespace tapegrad::cells
