// SPDX-License-Identifier: MIT
// A tour of the tape: records a small computation, prints the tape, runs
// backward, and writes Graphviz pictures of one unrolled LSTM step and of a
// 3-step vanilla RNN (rendered to SVG when Graphviz's `dot` is installed).
//
//   tape_tour [--out DIR]
#include <cstdlib>
#include <fmt/core.h>
#include <fstream>
#include <tapegrad_train.hpp>

using namespace tapegrad;

namespace {
void write_picture(const std::string& dir, const std::string& name, const Tensor& root, const std::string& title) {
    const std::string dot = dir + "/" + name + ".dot";
    std::ofstream(dot) << tape_dot(root, title);
    const std::string svg = dir + "/" + name + ".svg";
    const bool drawn = std::system(("command -v dot > /dev/null && dot -Tsvg " + dot + " -o " + svg).c_str()) == 0;
    fmt::print("wrote {}{}\n", dot, drawn ? " and " + svg : " (install graphviz to render it)");
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Prints a recorded tape and draws unrolled RNN and LSTM graphs.", "tape_tour"};
    app.option_defaults()->always_capture_default();
    std::string out = ".";
    app.add_option("--out", out, "directory for the .dot (and .svg) files")->check(train::OutputDir);
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;

    // ---- 1. ten lines, recorded as they run
    Generator g(0);
    Tensor W = rand_uniform(make_shape({3, 2}), -1, 1, g, true).set_label("W");
    Tensor b = Tensor::zeros(make_shape({2}), true).set_label("b");
    Tensor x = Tensor::from({1, 2, 3}, make_shape({1, 3})).set_label("x");
    Tensor h = tanh(matmul(x, W) + b);       // h = tanh(x W + b)
    Tensor loss = sum(h * h);                // L = sum(h^2): h is used twice
    fmt::print("The tape of L = sum(tanh(x W + b)^2):\n{}\n", tape_text(loss));
    loss.backward();                         // the reverse walk: dL/dW, dL/db
    fmt::print("dL/dW =\n{}\n\ndL/db =\n{}\n\n", W.grad_tensor(), b.grad_tensor());
    fmt::print("After backward the nodes are released:\n{}\n", tape_text(loss));

    // ---- 2. pictures
    nn::LSTMCell lstm(3, 4, false, g);
    lstm.weight_ih.set_label("W_ih");
    lstm.weight_hh.set_label("W_hh");
    lstm.bias_ih.set_label("b_ih");
    lstm.bias_hh.set_label("b_hh");
    nn::State s = lstm.initial_state(1);
    s[0].set_label("h_0");
    s[1].set_label("c_0");
    s = lstm(Tensor::ones(make_shape({1, 3})).set_label("x_t"), s);
    write_picture(out, "lstm_step", sum(s[0]), "one LSTM step");

    nn::RNNCell rnn(2, 3, nn::Nonlinearity::Tanh, g);
    rnn.weight_ih.set_label("W_ih");
    rnn.weight_hh.set_label("W_hh");
    rnn.bias_ih.set_label("b_ih");
    rnn.bias_hh.set_label("b_hh");
    nn::State hs = rnn.initial_state(1);
    hs[0].set_label("h_0");
    Tensor total = Tensor::scalar(0).set_label("0");
    for (int t = 0; t < 3; ++t) {
        hs = rnn(Tensor::ones(make_shape({1, 2})).set_label(fmt::format("x_{}", t + 1)), hs);
        total = total + sum(hs[0]);  // L = sum_t L_t
    }
    write_picture(out, "rnn_3_steps", total, "a vanilla RNN unrolled over 3 steps");
    return 0;
}

int main(int argc, char** argv) { return train::guarded_main("tape_tour", run, argc, argv); }
