// SPDX-License-Identifier: MIT
// A cell's number of states is checked: a cell that reads a state it did
// not declare, or returns another number of states than it declares, gets
// an error naming it -- not "use of an undefined tensor" deep inside.
#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;

namespace {
// Keeps {h, c} but forgets to say so (num_states() stays 1): reads s[1].
struct ForgetsItsCell : RecurrentCell {
    Tensor W;
    ForgetsItsCell(std::size_t in, std::size_t H, Generator& g) : RecurrentCell(in, H) {
        W = default_param(make_shape({H, in}), g), register_parameter("W", W);
    }
    State step(const Tensor& x, const State& s) const override {
        Tensor c = s[1] + linear(x, W);
        return {tanh(c), c};
    }
};
// Declares 2 states and reads both, but returns only h.
struct ReturnsTooFew : RecurrentCell {
    Tensor W;
    ReturnsTooFew(std::size_t in, std::size_t H, Generator& g) : RecurrentCell(in, H) {
        W = default_param(make_shape({H, in}), g), register_parameter("W", W);
    }
    std::size_t num_states() const override { return 2; }
    State step(const Tensor& x, const State& s) const override { return {tanh(s[0] + s[1] + linear(x, W))}; }
};
}  // namespace

TEST_CASE("a cell that reads a state it did not declare gets an error saying so", "[nn][cells]") {
    Generator g(1);
    Recurrent layer([&](std::size_t in) { return std::make_unique<ForgetsItsCell>(in, 4, g); }, 3);
    require_throws_with<ValueError>([&] { layer(rnd({2, 5, 3}, 1)); }, {"state[1]", "holds 1 tensor", "num_states()"});
    ForgetsItsCell cell(3, 4, g);
    require_throws_with<ValueError>([&] { cell(rnd({5, 3}, 2), cell.initial_state(5)); }, {"state[1]", "num_states()"});
}

TEST_CASE("a cell that returns another number of states than it declares is named", "[nn][cells]") {
    Generator g(1);
    Recurrent layer([&](std::size_t in) { return std::make_unique<ReturnsTooFew>(in, 4, g); }, 3);
    require_throws_with<ValueError>([&] { layer(rnd({2, 5, 3}, 1)); },
                                    {"ReturnsTooFew", "returned 1 state tensor", "declares 2"});
    // and the built-in cells pass the check at every step
    LSTM lstm(3, 4);
    CHECK(lstm(rnd({2, 5, 3}, 3)).final_states.at(0).size() == 2);
}
