// SPDX-License-Identifier: MIT
#pragma once
// minGRU and minLSTM (Feng, Tung, Ahmed, Bengio, Hajimirsadeghi, "Were RNNs
// All We Needed?", 2024): gates that read only x_t, never h_{t-1}, so the
// whole sequence is one linear recurrence h_t = a_t h_{t-1} + b_t, computed
// either step by step (step(), a RecurrentCell: layers, both directions and
// lengths from nn::Recurrent) or all at once (scan(): two scans in log space,
// cells/log_scan.hpp). Both are forward code only, and agree to rounding.
//
// minGRU:   z_t = sigma(W_z x_t + b_z)                    update gate
//           h~_t = g(W_h x_t + b_h)                       candidate
//           h_t = (1 - z_t) * h_{t-1} + z_t * h~_t
// minLSTM:  f_t = sigma(W_f x_t + b_f),  i_t = sigma(W_i x_t + b_i)
//           f'_t = f_t / (f_t + i_t),   i'_t = i_t / (f_t + i_t)
//           h~_t = g(W_h x_t + b_h)
//           h_t = f'_t * h_{t-1} + i'_t * h~_t
// with g(x) = x + 1/2 (x >= 0), sigmoid(x) (x < 0), which keeps h~ > 0.

#include <tapegrad.hpp>

namespace tapegrad::cells {

// The parallel form's result: outputs [T, B, H] (0 at padded steps) and the
// state after each sequence's last real step [B, H].
struct ScanOutput {
    Tensor output;
    Tensor h_n;
};

class MinGRUCell : public nn::RecurrentCell {
public:
    MinGRUCell(std::size_t input_size, std::size_t hidden_size, Generator& gen = default_generator());
    // k = [W_z; W_h] x + [b_z; b_h] for every step at once: [T, B, 2H]
    Tensor project_inputs(const Tensor& xs) const override;
    nn::State step(const Tensor& k, const nn::State& s) const override;
    // The whole sequence xs [T, B, input] from h_0 = 0 in one go.
    ScanOutput scan(const Tensor& xs, const std::vector<std::size_t>& lengths = {}) const;

    Tensor weight, bias;  // [2H, input]: W_z above W_h; [2H]
};

class MinLSTMCell : public nn::RecurrentCell {
public:
    MinLSTMCell(std::size_t input_size, std::size_t hidden_size, Generator& gen = default_generator());
    // k = [W_f; W_i; W_h] x + [b_f; b_i; b_h]: [T, B, 3H]
    Tensor project_inputs(const Tensor& xs) const override;
    nn::State step(const Tensor& k, const nn::State& s) const override;
    ScanOutput scan(const Tensor& xs, const std::vector<std::size_t>& lengths = {}) const;

    Tensor weight, bias;  // [3H, input]: W_f, W_i, W_h; [3H]
};

}  // namespace tapegrad::cells
