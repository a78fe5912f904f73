// SPDX-License-Identifier: MIT
#pragma once
// sLSTM (Beck et al., "xLSTM: Extended Long Short-Term Memory", 2024, eqs.
// 8-17), one head: exponential input and forget gates, a normaliser state n
// and a stabiliser state m that keeps every exponential <= 1.
//     z_t = tanh(z~_t)                        cell input
//     i~_t, f~_t                              gate pre-activations (log of the exponential gates)
//     o_t = sigma(o~_t)                       output gate
//     m_t = max(f~_t + m_{t-1}, i~_t)         stabiliser
//     i'_t = exp(i~_t - m_t)                  stabilised input gate
//     f'_t = exp(f~_t + m_{t-1} - m_t)        stabilised forget gate
//     c_t = f'_t c_{t-1} + i'_t z_t           cell state
//     n_t = f'_t n_{t-1} + i'_t               normaliser state
//     h_t = o_t * c_t / n_t
// with [z~, i~, f~, o~] = W x_t + R h_{t-1} + b. The state is {h, c, n, m};
// m starts at -inf, so the first step's i' is 1 and n_t >= 1 ever after.

#include <tapegrad.hpp>

namespace tapegrad::cells {

class SLSTMCell : public nn::RecurrentCell {
public:
    SLSTMCell(std::size_t input_size, std::size_t hidden_size, Generator& gen = default_generator());
    std::size_t num_states() const override { return 4; }  // {h, c, n, m}
    nn::State initial_state(std::size_t batch) const override;
    Tensor project_inputs(const Tensor& xs) const override;  // W x + b for every step at once
    nn::State step(const Tensor& x_proj, const nn::State& s) const override;

    Tensor W, R, b;  // [4H, input], [4H, H], [4H]; rows z, i, f, o
};

}  // namespace tapegrad::cells
