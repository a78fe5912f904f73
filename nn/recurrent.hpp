// SPDX-License-Identifier: MIT
#pragma once
// Sequence layers: any RecurrentCell unrolled over time, stacked in layers,
// optionally bidirectional, over batches of different lengths.
//
// Shapes (T time steps, B batch, H hidden, D = 2 if bidirectional else 1):
//   input   [T, B, F]          ([B, T, F] with batch_first)
//   output  [T, B, D*H]        ([B, T, D*H] with batch_first); the forward
//                              direction's h_t in [.., :H], the reverse one's
//                              in [.., H:]; zero at padded steps
//   final_states[l*D + d]      the state after the last real step of layer l,
//                              direction d (d = 1 is the reverse direction,
//                              whose last step is t = 0); PyTorch's order
//   h_n()  [L*D, B, H]         the final h of every layer and direction
//   c_n()  [L*D, B, H]         LSTM only
//
// With lengths, sequence b has lengths[b] real steps: padded steps neither
// change its state nor receive gradient, and the reverse direction starts at
// its real end, t = lengths[b] - 1. Dropout (train mode only) applies
// between layers, never to the recurrent connection.

#include <functional>
#include <memory>
#include <vector>

#include "cell.hpp"
#include "gru_cell.hpp"
#include "lstm_cell.hpp"
#include "rnn_cell.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

// Named options, each set by name and read by the same name:
//   nn::LSTM lstm(64, 128, nn::RecurrentOptions().num_layers(2).bidirectional(true));
class RecurrentOptions {
public:
    RecurrentOptions& num_layers(std::size_t n) { return num_layers_ = n, *this; }
    RecurrentOptions& bidirectional(bool on) { return bidirectional_ = on, *this; }
    RecurrentOptions& batch_first(bool on) { return batch_first_ = on, *this; }
    RecurrentOptions& dropout(real p) { return dropout_ = p, *this; }  // between layers
    RecurrentOptions& seed(std::uint64_t s) { return seed_ = s, *this; }  // for the dropout masks
    // Gradient checkpointing: keep the states every k steps and compute the
    // steps in between again during backward (ops/checkpoint.hpp); memory
    // O(T/k + k) instead of O(T), one more forward. 0: off.
    RecurrentOptions& checkpoint_every(std::size_t k) { return checkpoint_every_ = k, *this; }
    std::size_t num_layers() const { return num_layers_; }
    bool bidirectional() const { return bidirectional_; }
    bool batch_first() const { return batch_first_; }
    real dropout() const { return dropout_; }
    std::uint64_t seed() const { return seed_; }
    std::size_t checkpoint_every() const { return checkpoint_every_; }

private:
    std::size_t num_layers_ = 1;
    bool bidirectional_ = false;
    bool batch_first_ = false;
    real dropout_ = 0;
    std::uint64_t seed_ = 0;
    std::size_t checkpoint_every_ = 0;
};

struct SequenceOutput {
    Tensor output;
    std::vector<State> final_states;
    Tensor h_n() const;
    Tensor c_n() const;
};

class Recurrent : public Module {
public:
    // Makes the cell of one layer and direction, given its input size.
    using CellFactory = std::function<std::unique_ptr<RecurrentCell>(std::size_t input_size)>;

    Recurrent(const CellFactory& make_cell, std::size_t input_size, RecurrentOptions options = {});

    // lengths: empty (every sequence has T steps) or B values in [0, T].
    // initial: empty (zero states) or L*D states.
    SequenceOutput forward(const Tensor& xs, const std::vector<std::size_t>& lengths = {},
                           const std::vector<State>& initial = {});
    SequenceOutput operator()(const Tensor& xs, const std::vector<std::size_t>& lengths = {},
                              const std::vector<State>& initial = {}) {
        return forward(xs, lengths, initial);
    }

    RecurrentCell& cell(std::size_t layer, bool reverse = false) const;
    const RecurrentOptions& options() const { return options_; }
    std::size_t input_size() const { return input_size_; }
    std::size_t hidden_size() const { return cells_.front()->hidden_size(); }
    std::size_t directions() const { return options_.bidirectional() ? 2 : 1; }

private:
    std::size_t input_size_;
    RecurrentOptions options_;
    std::vector<std::unique_ptr<RecurrentCell>> cells_;  // index layer * D + direction
    Generator dropout_gen_;
};

class RNN : public Recurrent {
public:
    RNN(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options = {},
        Nonlinearity nl = Nonlinearity::Tanh, Generator& gen = default_generator());
    RNNCell& cell(std::size_t layer, bool reverse = false) const {
        return static_cast<RNNCell&>(Recurrent::cell(layer, reverse));
    }
};

class LSTM : public Recurrent {
public:
    LSTM(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options = {},
         bool forget_bias_one = false, Generator& gen = default_generator());
    LSTMCell& cell(std::size_t layer, bool reverse = false) const {
        return static_cast<LSTMCell&>(Recurrent::cell(layer, reverse));
    }
};

class GRU : public Recurrent {
public:
    GRU(std::size_t input_size, std::size_t hidden_size, RecurrentOptions options = {},
        Generator& gen = default_generator());
    GRUCell& cell(std::size_t layer, bool reverse = false) const {
        return static_cast<GRUCell&>(Recurrent::cell(layer, reverse));
    }
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
