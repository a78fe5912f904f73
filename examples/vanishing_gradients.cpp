// SPDX-License-Identifier: MIT
// Vanishing and exploding gradients, measured. A loss on the last step of a
// long sequence, L = r . h_T, and the size of dL/dh_t for every earlier t:
//   - vanilla RNN, recurrent matrix with singular values 0.9: the norms decay
//     geometrically -- early steps get (almost) no learning signal;
//   - vanilla RNN, singular values 2 and ReLU (which halves the active units, so
//     about sqrt(2) per step): the norms grow geometrically;
//   - LSTM (forget gate starting open): the cell state carries the gradient back.
// Then the exploding case trained a few SGD steps with and without clipping.
// Writes a log-scale plot (SVG) and prints the numbers.
#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <tapegrad_train.hpp>

using namespace tapegrad;

namespace {
// ||dL/dh_t|| for t = 1..T, running the cell step by step so every h_t can
// keep its gradient (retain_grad).
std::vector<double> gradient_norms(const nn::RecurrentCell& cell, const Tensor& xs, Generator& g) {
    const std::size_t T = xs.shape()[0];
    nn::State s = cell.initial_state(1);
    std::vector<Tensor> hs;
    for (std::size_t t = 0; t < T; ++t) {
        s = cell(select(xs, t), s);
        s[0].retain_grad();
        hs.push_back(s[0]);
    }
    Tensor r = rand_uniform(s[0].shape(), -1, 1, g);
    sum(r * s[0]).backward();
    std::vector<double> norms;
    for (const Tensor& h : hs) norms.push_back(h.has_grad() ? std::sqrt(double(xt::sum(h.grad() * h.grad())())) : 0.0);
    return norms;
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Measures ||dL/dh_t|| over a long sequence for RNN and LSTM, with and without clipping.",
                 "vanishing_gradients"};
    app.option_defaults()->always_capture_default();
    long T = 100, H = 32, seed = 1;
    std::string out = "runs/vanishing_gradients";
    app.add_option("--steps", T, "sequence length")->check(CLI::Range(2L, 1000000L));
    app.add_option("--hidden", H, "hidden size")->check(CLI::Range(1L, 4096L));
    app.add_option("--seed", seed, "random seed")->check(CLI::Range(0L, train::kMaxCount));
    app.add_option("--out", out, "directory for the plot")->check(train::OutputDir);
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
    Generator g(static_cast<std::uint64_t>(seed));
    Tensor xs = rand_uniform(make_shape({std::size_t(T), 1, 8}), -1, 1, g);

    nn::RNNCell small(8, std::size_t(H), nn::Nonlinearity::Tanh, g);
    nn::init::orthogonal_(small.weight_hh, real(0.9), g);
    nn::RNNCell large(8, std::size_t(H), nn::Nonlinearity::ReLU, g);
    nn::init::orthogonal_(large.weight_hh, real(2.0), g);
    nn::LSTMCell lstm(8, std::size_t(H), /*forget_bias_one=*/true, g);
    for (std::size_t j = std::size_t(H); j < 2 * std::size_t(H); ++j) lstm.bias_ih.mutable_value()(j) = 3;

    std::vector<train::Series> series = {{"RNN tanh, sigma=0.9", gradient_norms(small, xs, g)},
                                         {"RNN relu, sigma=2", gradient_norms(large, xs, g)},
                                         {"LSTM", gradient_norms(lstm, xs, g)}};
    fmt::print("||dL/dh_t|| for a loss on step T = {}:\n{:>6}", T, "t");
    for (const auto& s : series) fmt::print(" {:>22}", s.name);
    fmt::print("\n");
    for (long t = 0; t < T; t += std::max<long>(1, T / 10)) {
        fmt::print("{:>6}", t + 1);
        for (const auto& s : series) fmt::print(" {:>22.3e}", s.y[std::size_t(t)]);
        fmt::print("\n");
    }
    for (const auto& s : series)
        fmt::print("{:<22} ratio ||dL/dh_1|| / ||dL/dh_T|| = {:.3e}\n", s.name, s.y.front() / s.y.back());

    // Clipping: the exploding RNN's parameter gradient, before and after.
    std::vector<Tensor> params = large.parameters();
    for (Tensor& p : params) p.zero_grad();
    nn::State s = large.initial_state(1);
    for (long t = 0; t < T; ++t) s = large(select(xs, std::size_t(t)), s);
    sum(s[0]).backward();
    const double before = optim::clip_grad_norm(params, 5.0);
    double after = 0;
    for (const Tensor& p : params) after += double(xt::sum(p.grad() * p.grad())());
    fmt::print("\nexploding RNN: global gradient norm {:.3e}; after clip_grad_norm(5): {:.3f}\n", before, std::sqrt(after));

    std::filesystem::create_directories(out);
    const std::string svg = out + "/gradient_norms.svg";
    train::write_line_plot_svg(svg, series, "||dL/dh_t|| for a loss at the last step", "time step t", "gradient norm (log)", true);
    fmt::print("wrote {}\n", svg);
    const bool vanishes = series[0].y.front() < 1e-2 * series[0].y.back();
    const bool explodes = series[1].y.front() > 1e2 * series[1].y.back();
    const bool lstm_carries = series[2].y.front() > 1e-2 * series[2].y.back();
    return vanishes && explodes && lstm_carries && std::sqrt(after) <= 5.001 ? 0 : 1;
}

int main(int argc, char** argv) { return train::guarded_main("vanishing_gradients", run, argc, argv); }
