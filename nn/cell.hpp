// SPDX-License-Identifier: MIT
#pragma once
// A recurrent cell: one time step, s_t = step(x_t, s_{t-1}). Any Module that
// implements this interface runs inside the sequence layer (nn/recurrent.hpp)
// with multi-layer stacking, bidirectionality and variable lengths for free.
//
// A cell may split off the part of its step that depends only on the input
// (project_inputs); the sequence layer then applies it to all T steps in one
// GEMM and hands step() the projected slice. The default projection is the
// identity, so a new cell can ignore it.

#include <string>
#include <vector>

#include "module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

// The recurrent state: {h} for RNN and GRU, {h, c} for LSTM. state[0] is the
// output of the step. A vector whose [] is checked: a cell that reads a
// state it did not declare (num_states()) gets an error saying so, not
// whatever lies past the end.
class State : public std::vector<Tensor> {
public:
    using std::vector<Tensor>::vector;
    State(std::vector<Tensor> v) : std::vector<Tensor>(std::move(v)) {}  // NOLINT: implicit on purpose
    const Tensor& operator[](std::size_t i) const {
        if (i >= size()) past_end(i);
        return std::vector<Tensor>::operator[](i);
    }
    Tensor& operator[](std::size_t i) {
        if (i >= size()) past_end(i);
        return std::vector<Tensor>::operator[](i);
    }

private:
    [[noreturn]] void past_end(std::size_t i) const;
};

class RecurrentCell : public Module {
public:
    RecurrentCell(std::size_t input_size, std::size_t hidden_size);

    std::size_t input_size() const { return input_size_; }
    std::size_t hidden_size() const { return hidden_size_; }
    // How many tensors the state holds: 1 ({h}) unless the cell says more
    // (an LSTM's {h, c}: 2). Checked against what step() reads and returns.
    virtual std::size_t num_states() const { return 1; }

    // [T, B, input_size] -> [T, B, whatever step() expects]; identity by default.
    virtual Tensor project_inputs(const Tensor& xs) const { return xs; }
    // One step on a projected input slice [B, ...]: select(projected, t),
    // which the ops read in place.
    virtual State step(const Tensor& x_proj, const State& state) const = 0;

    // The state before the first step, for a batch of B: zeros, unless the
    // cell starts elsewhere (cells/slstm.hpp: its stabiliser starts at -inf).
    virtual State initial_state(std::size_t batch) const;
    // One step on a raw input [B, input_size], for decoders that run the cell
    // themselves.
    State forward(const Tensor& x, const State& state) const;
    // step(), with the number of states it returned checked (what the
    // sequence layer and forward() call). The cell's name for messages.
    State checked_step(const Tensor& x_proj, const State& state) const;
    std::string name() const;
    State operator()(const Tensor& x, const State& state) const { return forward(x, state); }

protected:
    // PyTorch's default for every recurrent weight and bias:
    // U(-1/sqrt(hidden), 1/sqrt(hidden)).
    Tensor default_param(const Shape& shape, Generator& gen) const;
    void check_state(const char* who, const Tensor& x_t, const State& state) const;
    void check_state(const char* who, std::size_t batch, const State& state) const;

private:
    std::size_t input_size_, hidden_size_;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
