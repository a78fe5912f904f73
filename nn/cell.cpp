// SPDX-License-Identifier: MIT
#include "cell.hpp"

#include <cxxabi.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "init.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

RecurrentCell::RecurrentCell(std::size_t input_size, std::size_t hidden_size)
    : input_size_(input_size), hidden_size_(hidden_size) {
    if (input_size == 0 || hidden_size == 0)
        fail<ValueError>("RecurrentCell: sizes must be positive, got input_size={} hidden_size={}", input_size,
                         hidden_size);
}

State RecurrentCell::initial_state(std::size_t batch) const {
    State s;
    for (std::size_t k = 0; k < num_states(); ++k) s.push_back(Tensor::zeros(make_shape({batch, hidden_size_})));
    return s;
}

void State::past_end(std::size_t i) const {
    fail<ValueError>("state[{}]: the state holds {} tensor(s); a cell keeping more (an LSTM's h and c) declares "
                     "them with num_states()",
                     i, size());
}

std::string RecurrentCell::name() const {
    int status = 0;
    const char* raw = typeid(*this).name();
    std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(raw, nullptr, nullptr, &status), std::free);
    return status == 0 && readable ? readable.get() : raw;
}

State RecurrentCell::checked_step(const Tensor& x_proj, const State& state) const {
    if (state.size() != num_states())
        fail("{}: expected {} state tensor(s) (num_states()), got {}", name(), num_states(), state.size());
    State next = step(x_proj, state);
    if (next.size() != num_states())
        fail<ValueError>("{}: step() returned {} state tensor(s), the cell declares {} (num_states()); a cell "
                         "keeping more than h overrides num_states()",
                         name(), next.size(), num_states());
    for (std::size_t k = 0; k < next.size(); ++k)
        if (!next[k].defined()) fail<ValueError>("{}: step() returned an undefined state tensor {}", name(), k);
    return next;
}

State RecurrentCell::forward(const Tensor& x, const State& state) const {
    if (x.dim() != 2 || x.shape()[1] != input_size_)
        fail("cell: input of shape {} is not [batch, {}]", shape_str(x.shape()), input_size_);
    return checked_step(project_inputs(x), state);
}

Tensor RecurrentCell::default_param(const Shape& shape, Generator& gen) const {
    Tensor t = Tensor::zeros(shape);
    const real k = real(1) / std::sqrt(real(hidden_size_));
    init::uniform_(t, -k, k, gen);
    return t;
}

void RecurrentCell::check_state(const char* who, const Tensor& x_t, const State& state) const {
    check_state(who, x_t.dim() ? x_t.shape()[0] : 0, state);
}

void RecurrentCell::check_state(const char* who, std::size_t batch, const State& state) const {
    if (state.size() != num_states())
        fail("{}: expected {} state tensor(s), got {}", who, num_states(), state.size());
    for (const Tensor& s : state)
        if (s.dim() != 2 || s.shape()[0] != batch || s.shape()[1] != hidden_size_)
            fail("{}: state of shape {} does not match [batch {}, hidden {}]", who, shape_str(s.shape()), batch,
                 hidden_size_);
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
