// SPDX-License-Identifier: MIT
// Write your own cell: a minimal gated unit that exists nowhere else,
//     f_t = sigma(W_f [x_t; h_{t-1}] + b_f)
//     h_t = f_t * h_{t-1} + (1 - f_t) * tanh(W x_t)
// in ten lines of forward code, then (1) checked with gradcheck over a whole
// padded sequence, (2) trained on a memory task next to the built-in GRU,
// (3) timed against it -- also with its input projection hoisted out of the
// time loop, and with elementwise fusion off, to see what that layer buys.
// Exits 1 if a check fails.
#include <chrono>
#include <fmt/core.h>
#include <tapegrad_train.hpp>

using namespace tapegrad;

// ---- the cell: everything a new cell needs
struct MinimalGatedCell : nn::RecurrentCell {
    Tensor W_f, b_f, W;
    MinimalGatedCell(std::size_t in, std::size_t H, Generator& g) : RecurrentCell(in, H) {
        W_f = default_param(make_shape({H, in + H}), g), register_parameter("W_f", W_f);
        b_f = default_param(make_shape({H}), g), register_parameter("b_f", b_f);
        W = default_param(make_shape({H, in}), g), register_parameter("W", W);
    }
    nn::State step(const Tensor& x, const nn::State& s) const override {
        Tensor f = sigmoid(linear(concat({x, s[0]}, 1), W_f, b_f));
        return {f * s[0] + (real(1) - f) * tanh(linear(x, W))};
    }
};

// ---- the same gates with the input's half of every product hoisted out of
// the time loop: [W_fx; W] x_t + [b_f; b] for all t in one GEMM
// (project_inputs); each step adds only W_fh h_{t-1}.
struct HoistedMinimalGatedCell : nn::RecurrentCell {
    Tensor W_x, b_x, W_fh;
    HoistedMinimalGatedCell(std::size_t in, std::size_t H, Generator& g) : RecurrentCell(in, H) {
        W_x = default_param(make_shape({2 * H, in}), g), register_parameter("W_x", W_x);
        b_x = default_param(make_shape({2 * H}), g), register_parameter("b_x", b_x);
        W_fh = default_param(make_shape({H, H}), g), register_parameter("W_fh", W_fh);
    }
    Tensor project_inputs(const Tensor& xs) const override { return linear(xs, W_x, b_x); }
    nn::State step(const Tensor& xp, const nn::State& s) const override {
        auto p = chunk(xp, 2, 1);  // W_fx x_t + b_f, W x_t + b
        Tensor f = sigmoid(p[0] + linear(s[0], W_fh));
        return {f * s[0] + (real(1) - f) * tanh(p[1])};
    }
};

namespace {
// Read T random tokens, then say which one came first.
struct Task {
    std::size_t V = 4, T = 8, B = 32;
    Generator data{11};
    std::pair<IndexArray, IndexArray> batch() {
        IndexArray x = IndexArray::from_shape({T, B}), y = IndexArray::from_shape({B});
        for (auto& v : x) v = static_cast<Index>(data.next() % V);
        for (std::size_t b = 0; b < B; ++b) y(b) = x(0, b);
        return {x, y};
    }
};

struct Model : nn::Module {
    nn::Embedding emb;
    std::unique_ptr<nn::Recurrent> rnn;
    nn::Linear out;
    Model(std::unique_ptr<nn::Recurrent> r, Generator& g) : emb(4, 8, -1, g), rnn(std::move(r)), out(32, 4, true, g) {
        register_module("emb", emb), register_module("rnn", *rnn), register_module("out", out);
    }
    Tensor loss(const IndexArray& x, const IndexArray& y) {
        return cross_entropy(out(select(rnn->forward(emb(x)).output, x.shape()[0] - 1)), y);
    }
};

std::pair<double, double> fit(Model& m, int steps) {  // final smoothed loss, ms per step
    Task task;
    optim::Adam opt(m.parameters(), optim::AdamOptions{real(0.02)});
    double smooth = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s) {
        auto [x, y] = task.batch();
        opt.zero_grad();
        Tensor loss = m.loss(x, y);
        loss.backward();
        optim::clip_grad_norm(m.parameters(), 5.0);
        opt.step();
        smooth = s ? 0.9 * smooth + 0.1 * loss.item() : loss.item();
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return {smooth, ms / steps};
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"A new recurrent cell in ten lines: gradcheck, training and timing.", "custom_cell"};
    app.option_defaults()->always_capture_default();
    long steps = 300;
    app.add_option("--steps", steps, "training steps for each model")->check(CLI::Range(1L, train::kMaxCount));
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
    Generator g(1);

    // (1) gradcheck of a 2-layer bidirectional stack of the new cell over a padded batch
    nn::RecurrentOptions o;
    o.num_layers(2);
    o.bidirectional(true);
    nn::Recurrent layer([&](std::size_t in) { return std::make_unique<MinimalGatedCell>(in, 3, g); }, 2, o);
    Tensor x = rand_uniform(make_shape({5, 2, 2}), -1, 1, g, true);
    std::vector<Tensor> inputs{x};
    for (const Tensor& p : layer.parameters()) inputs.push_back(p);
    auto check = gradcheck([&](const std::vector<Tensor>& in) { return sum(layer.forward(in[0], {5, 3}).output); },
                           inputs);
    fmt::print("gradcheck over 2 layers x 2 directions x 5 steps, {} values: {} (largest error {:.2e})\n",
               check.checked, check.ok ? "ok" : "FAILED", check.max_abs_error);
    if (!check.ok) fmt::print("{}", check.report);
    // and of the hoisted version, the same way
    nn::Recurrent hoisted_layer([&](std::size_t in) { return std::make_unique<HoistedMinimalGatedCell>(in, 3, g); }, 2,
                                o);
    std::vector<Tensor> hoisted_inputs{x};
    for (const Tensor& p : hoisted_layer.parameters()) hoisted_inputs.push_back(p);
    auto hoisted_check = gradcheck(
        [&](const std::vector<Tensor>& in) { return sum(hoisted_layer.forward(in[0], {5, 3}).output); },
        hoisted_inputs);
    fmt::print("the same for the hoisted cell, {} values: {} (largest error {:.2e})\n", hoisted_check.checked,
               hoisted_check.ok ? "ok" : "FAILED", hoisted_check.max_abs_error);
    if (!hoisted_check.ok) fmt::print("{}", hoisted_check.report);

    // (2) + (3) train and time next to the built-in GRU, same sizes
    nn::RecurrentOptions one;
    Model mine(std::make_unique<nn::Recurrent>([&](std::size_t in) { return std::make_unique<MinimalGatedCell>(in, 32, g); }, 8, one), g);
    Model mine_hoisted(std::make_unique<nn::Recurrent>(
                           [&](std::size_t in) { return std::make_unique<HoistedMinimalGatedCell>(in, 32, g); }, 8, one),
                       g);
    Model mine_eager(std::make_unique<nn::Recurrent>(
                         [&](std::size_t in) { return std::make_unique<MinimalGatedCell>(in, 32, g); }, 8, one),
                     g);
    Model gru(std::make_unique<nn::GRU>(8, 32, one, g), g);
    const auto [mine_loss, mine_ms] = fit(mine, static_cast<int>(steps));
    const auto [hoisted_loss, hoisted_ms] = fit(mine_hoisted, static_cast<int>(steps));
    double eager_ms = 0;
    {
        ElementwiseFusion off(false);  // every elementwise op its own pass and node
        eager_ms = fit(mine_eager, static_cast<int>(steps)).second;
    }
    const auto [gru_loss, gru_ms] = fit(gru, static_cast<int>(steps));
    fmt::print("remember the first of 8 tokens (chance: loss {:.3f}):\n", std::log(4.0));
    fmt::print("  minimal gated cell    loss {:.4f}  {:.2f} ms/step  ({} parameters)\n", mine_loss, mine_ms,
               mine.num_parameters());
    fmt::print("  the same, hoisted     loss {:.4f}  {:.2f} ms/step\n", hoisted_loss, hoisted_ms);
    fmt::print("  the same, fusion off               {:.2f} ms/step\n", eager_ms);
    fmt::print("  built-in GRU          loss {:.4f}  {:.2f} ms/step  ({} parameters)\n", gru_loss, gru_ms,
               gru.num_parameters());
    const bool learned = mine_loss < 0.2 && hoisted_loss < 0.2;
    const bool ok = learned && check.ok && hoisted_check.ok;
    fmt::print("{}\n", ok ? "the new cell is correct and learns" : "a check failed");
    return ok ? 0 : 1;
}

int main(int argc, char** argv) { return train::guarded_main("custom_cell", run, argc, argv); }
