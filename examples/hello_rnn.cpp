// SPDX-License-Identifier: MIT
// The "hello" character model: a vanilla RNN with a hidden state of size 3
// learns to predict the next character of "hello" from one-hot inputs over
// the vocabulary {h, e, l, o}.
//
//   h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)      y_t = W_hy h_t + b_y
//   L   = sum_t L_t = sum_t cross_entropy(y_t, next char)
//
// Rows are batch entries, so in code W_xh x_t is written matmul(x_t, W_xh).
// No gradient is written here: backward() walks the unrolled tape (BPTT).
#include <string>
#include <vector>

#include <fmt/core.h>
#include <tapegrad_train.hpp>  // tapegrad, and train/flags.hpp for the command line

using namespace tapegrad;

int run(int argc, char** argv) {
    CLI::App app{"The lecture notes' \"hello\" RNN, trained by backpropagation through time.", "hello_rnn"};
    int steps = 300;
    app.add_option("steps", steps, "training steps")->check(CLI::Range(1, 1000000));
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
    const std::string vocab = "helo";
    const std::string text = "hello";
    const std::size_t V = vocab.size(), H = 3, T = text.size() - 1;

    Generator gen(42);
    auto param = [&](std::size_t r, std::size_t c) {
        Tensor p = rand_uniform(make_shape({r, c}), -0.5, 0.5, gen);
        return p.requires_grad_();
    };
    Tensor W_xh = param(V, H), W_hh = param(H, H), b_h = param(1, H);
    Tensor W_hy = param(H, V), b_y = param(1, V);
    std::vector<Tensor> params{W_xh, W_hh, b_h, W_hy, b_y};

    auto one_hot = [&](char ch) {
        Tensor x = Tensor::zeros(make_shape({1, V}));
        x.mutable_value()(0, vocab.find(ch)) = 1;
        return x;
    };

    const real lr = 0.5;
    std::string predicted;
    for (int step = 0; step <= steps; ++step) {
        // Forward through time; the tape records every op.
        Tensor h = Tensor::zeros(make_shape({1, H}));
        Tensor loss = Tensor::scalar(0);
        predicted.clear();
        for (std::size_t t = 0; t < T; ++t) {
            h = tanh(matmul(one_hot(text[t]), W_xh) + matmul(h, W_hh) + b_h);
            Tensor y = matmul(h, W_hy) + b_y;
            IndexArray target = {static_cast<Index>(vocab.find(text[t + 1]))};
            loss = loss + cross_entropy(y, target);
            std::size_t best = 0;
            for (std::size_t c = 1; c < V; ++c)
                if (y.at({0, c}) > y.at({0, best})) best = c;
            predicted += vocab[best];
        }
        for (Tensor& p : params) p.zero_grad();
        loss.backward();  // BPTT: dL/dW = sum_t dL/dW|_t
        {
            NoGradGuard no_grad;
            for (Tensor& p : params) p.mutable_value() -= lr * p.grad();
        }
        if (step % 50 == 0 || (step < 50 && step % 10 == 0))
            fmt::print("step {:4d}  loss {:.4f}  input \"hell\" -> predicted \"{}\"\n", step, loss.item(), predicted);
    }
    // The trained network, one step at a time, as the lecture notes draw it.
    fmt::print("\n t  input  hidden state h_t            softmax(y_t) over h e l o     next\n");
    Tensor h = Tensor::zeros(make_shape({1, H}));
    for (std::size_t t = 0; t < T; ++t) {
        h = tanh(matmul(one_hot(text[t]), W_xh) + matmul(h, W_hh) + b_h);
        Tensor p = softmax(matmul(h, W_hy) + b_y, 1);
        fmt::print(" {}    {}    [{:6.3f} {:6.3f} {:6.3f}]   [{:.3f} {:.3f} {:.3f} {:.3f}]   {}\n", t, text[t],
                   h.at({0, 0}), h.at({0, 1}), h.at({0, 2}), p.at({0, 0}), p.at({0, 1}), p.at({0, 2}), p.at({0, 3}),
                   predicted[t]);
    }
    const bool learned = predicted == "ello";
    fmt::print("{}: the RNN {} \"hello\"\n", learned ? "done" : "not yet", learned ? "has learned" : "has not learned");
    return learned ? 0 : 1;
}

int main(int argc, char** argv) { return train::guarded_main("hello_rnn", run, argc, argv); }
