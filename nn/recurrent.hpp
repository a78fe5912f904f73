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
//   h0, c0 [L*D, B, H]         initial states in PyTorch's form (RecurrentArgs)
//
// With lengths, sequence b has lengths[b] real steps: padded steps neither
// change its state nor receive gradient, and the reverse direction starts at
// its real end, t = lengths[b] - 1. Dropout (train mode only) applies
// between layers, never to the recurrent connection.

#include <functional>
#include <memory>
#include <vector>

#include "../autograd/ids.hpp"
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

// What a forward call takes besides the input, each by name:
//   lstm(x, nn::RecurrentArgs().h0(h0).c0(c0))        PyTorch's lstm(x, (h0, c0))
//   gru(x, nn::RecurrentArgs().lengths(len).h0(h0))
//   lstm(x, nn::RecurrentArgs().initial(states))       one State per layer and direction
// h0 and c0 are [L*D, B, H] tensors in PyTorch's order (layer-major, the
// reverse direction second); gradients reach them. Unset: zero states.
class RecurrentArgs {
public:
    RecurrentArgs& lengths(std::vector<std::size_t> l) { return lengths_ = std::move(l), *this; }
    // From an integer array, as read_npz gives NumPy's int64 lengths: 1-D, each >= 0.
    RecurrentArgs& lengths(const Ids& l);
    RecurrentArgs& h0(Tensor h) { return h0_ = std::move(h), *this; }
    RecurrentArgs& c0(Tensor c) { return c0_ = std::move(c), *this; }  // LSTM only
    RecurrentArgs& initial(std::vector<State> states) { return initial_ = std::move(states), *this; }
    const std::vector<std::size_t>& lengths() const { return lengths_; }
    const Tensor& h0() const { return h0_; }
    const Tensor& c0() const { return c0_; }
    const std::vector<State>& initial() const { return initial_; }

private:
    std::vector<std::size_t> lengths_;
    Tensor h0_, c0_;
    std::vector<State> initial_;
};

struct SequenceOutput {
    Tensor output;
    std::vector<State> final_states;
    // The final h (c) of every layer and direction, [L*D, B, H]. Made on the
    // first call -- one `stack` node on the tape, so gradients flow back to
    // final_states -- and the same tensor on every later call (and in every
    // copy of this result made after it).
    const Tensor& h_n() const;
    const Tensor& c_n() const;  // LSTM only

    // (the two stacks, once made; not for use)
    mutable Tensor h_n_cache, c_n_cache;
};

class Recurrent : public Module {
public:
    // Makes the cell of one layer and direction, given its input size.
    using CellFactory = std::function<std::unique_ptr<RecurrentCell>(std::size_t input_size)>;

    Recurrent(const CellFactory& make_cell, std::size_t input_size, RecurrentOptions options = {});

    // lengths: empty (every sequence has T steps) or B values in [0, T].
    SequenceOutput forward(const Tensor& xs, const RecurrentArgs& args);
    SequenceOutput forward(const Tensor& xs, const std::vector<std::size_t>& lengths = {}) {
        return forward(xs, RecurrentArgs().lengths(lengths));
    }
    SequenceOutput operator()(const Tensor& xs, const RecurrentArgs& args) { return forward(xs, args); }
    SequenceOutput operator()(const Tensor& xs, const std::vector<std::size_t>& lengths = {}) {
        return forward(xs, lengths);
    }

    RecurrentCell& cell(std::size_t layer, bool reverse = false) const;
    const RecurrentOptions& options() const { return options_; }
    std::size_t input_size() const { return input_size_; }
    std::size_t hidden_size() const { return cells_.front()->hidden_size(); }
    std::size_t directions() const { return options_.bidirectional() ? 2 : 1; }

private:
    // The initial state of each layer and direction from args (or zeros).
    std::vector<State> initial_states(const RecurrentArgs& args, std::size_t B) const;

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
