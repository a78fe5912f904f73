// SPDX-License-Identifier: MIT
// Optimizers against torch.optim on the same start and gradients
// (tests/fixtures/optimizers.npz), clipping, schedules, truncated BPTT.
#include <functional>
#include <memory>

#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;
using namespace tapegrad::optim;

namespace {
constexpr double kTol = kDouble ? 1e-10 : 1e-5;

void check_against_torch(const std::string& name,
                         const std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>& make) {
    INFO("optimizer " << name);
    const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/optimizers.npz");
    Tensor p(f.at("p0"), true);
    auto opt = make({p});
    for (int i = 0; i < 3; ++i) {
        p.impl()->grad = f.at("g" + std::to_string(i));
        p.impl()->has_grad = true;
        opt->step();
        INFO("step " << i);
        CHECK(close(p.value(), f.at(name + ".step" + std::to_string(i)), kTol));
    }
}
}  // namespace

TEST_CASE("SGD, momentum, Nesterov and weight decay match torch.optim.SGD", "[optim]") {
    check_against_torch("sgd", [](auto ps) { return std::make_unique<SGD>(ps, SGDOptions{0.1}); });
    check_against_torch("sgd_momentum_wd", [](auto ps) {
        return std::make_unique<SGD>(ps, SGDOptions{0.1, 0.9, false, 0.01});
    });
    check_against_torch("sgd_nesterov", [](auto ps) { return std::make_unique<SGD>(ps, SGDOptions{0.1, 0.9, true}); });
}

TEST_CASE("Adam, Adam with L2 and AdamW match torch.optim", "[optim]") {
    check_against_torch("adam", [](auto ps) { return std::make_unique<Adam>(ps, AdamOptions{0.01}); });
    check_against_torch("adam_l2", [](auto ps) {
        AdamOptions o;
        o.lr = 0.01;
        o.weight_decay = 0.1;
        return std::make_unique<Adam>(ps, o);
    });
    check_against_torch("adamw", [](auto ps) {
        AdamOptions o;
        o.lr = 0.01;
        o.weight_decay = 0.1;
        o.decoupled_weight_decay = true;
        return std::make_unique<Adam>(ps, o);
    });
}

TEST_CASE("RMSProp and Adagrad match torch.optim", "[optim]") {
    check_against_torch("rmsprop", [](auto ps) { return std::make_unique<RMSProp>(ps, RMSPropOptions{0.01, 0.9, 1e-8, 0.01}); });
    check_against_torch("adagrad", [](auto ps) { return std::make_unique<Adagrad>(ps, AdagradOptions{0.1, 1e-10, 0.01}); });
}

TEST_CASE("parameters without a gradient are left alone", "[optim]") {
    Tensor a = rnd({3}, 1), b = rnd({3}, 2);
    Array b0 = b.value();
    Adam opt({a, b});
    sum(a * a).backward();
    opt.step();
    CHECK(close(b.value(), b0, 0));
    CHECK_FALSE(close(a.value(), b0, 0));
}

TEST_CASE("clip_grad_norm returns the norm and rescales to max_norm, and clip_grad_value clamps", "[optim]") {
    Tensor a = Tensor::from({3, 0}, make_shape({2}), true), b = Tensor::from({4}, make_shape({1}), true);
    (sum(a * a * real(0.5)) + sum(b * b * real(0.5))).backward();  // grads = values: global norm 5
    const double norm = clip_grad_norm({a, b}, 1.0);
    CHECK(norm == Approx(5));
    CHECK(a.grad()(0) == Approx(0.6).epsilon(1e-5));
    CHECK(b.grad()(0) == Approx(0.8).epsilon(1e-5));
    CHECK(clip_grad_norm({a, b}, 10.0) == Approx(1).epsilon(1e-5));  // below the limit: unchanged
    CHECK(a.grad()(0) == Approx(0.6).epsilon(1e-5));
    clip_grad_value({a, b}, real(0.7));
    CHECK(b.grad()(0) == Approx(0.7));
    CHECK(a.grad()(0) == Approx(0.6).epsilon(1e-5));
}

TEST_CASE("learning-rate schedules: step and exponential", "[optim]") {
    Tensor p = rnd({1}, 1);
    SGD opt({p}, SGDOptions{1.0});
    StepLR sched(opt, 2, real(0.5));
    std::vector<double> lrs;
    for (int e = 0; e < 5; ++e) {
        sched.step();
        lrs.push_back(opt.lr());
    }
    CHECK(lrs == std::vector<double>{1.0, 0.5, 0.5, 0.25, 0.25});
    SGD opt2({p}, SGDOptions{2.0});
    ExponentialLR exp_sched(opt2, real(0.5));
    exp_sched.step();
    exp_sched.step();
    CHECK(opt2.lr() == Approx(0.5));
}

TEST_CASE("learning-rate schedules: linear warm-up, then cosine decay, resumable", "[optim]") {
    Tensor p = rnd({1}, 1);
    SGD opt({p}, SGDOptions{1.0});
    WarmupCosineLR sched(opt, 3, 7, real(0.1));  // base 1, min 0.1
    CHECK(opt.lr() == Approx(0.25));             // t = 0: (0 + 1) / (3 + 1)
    std::vector<double> lrs;
    for (int t = 1; t <= 8; ++t) {
        sched.step();
        lrs.push_back(opt.lr());
    }
    CHECK(lrs[0] == Approx(0.5));
    CHECK(lrs[1] == Approx(0.75));
    CHECK(lrs[2] == Approx(1.0));                                   // t = 3: the peak
    CHECK(lrs[4] == Approx(0.1 + 0.9 * 0.5 * (1 + std::cos(3.14159265358979 * 0.5))));  // t = 5, halfway
    CHECK(lrs[6] == Approx(0.1));                                   // t = 7 = total
    CHECK(lrs[7] == Approx(0.1));                                   // and after
    for (std::size_t k = 0; k < 2; ++k) CHECK(lrs[k + 1] > lrs[k]);  // t = 1..3: rising while warming up
    for (std::size_t k = 2; k < 6; ++k) CHECK(lrs[k + 1] < lrs[k]);  // t = 3..7: falling
    SGD again({p}, SGDOptions{1.0});
    WarmupCosineLR resumed(again, 3, 7, real(0.1));
    resumed.set_epoch(5);
    CHECK(again.lr() == Approx(lrs[4]));
    require_throws_with<ValueError>([&] { WarmupCosineLR(opt, 8, 7); }, {"WarmupCosineLR", "warmup 8", "total 7"});
}

TEST_CASE("truncated BPTT: detach carries the state across chunks and bounds the graph", "[optim][bptt]") {
    // A 12-step sequence in chunks of 4: the state flows forward through all
    // of it, gradients only within a chunk.
    Generator g(3);
    LSTM lstm(2, 3, {}, false, g);
    Tensor xs = rnd({12, 2, 2}, 4, -1, 1, false);
    State state = lstm.cell(0).initial_state(2);
    std::vector<Array> chunk_grads;
    for (std::size_t c = 0; c < 3; ++c) {
        for (Tensor& s : state) s = s.detach();  // cut the tape between chunks
        SequenceOutput out = lstm.forward(slice(xs, 0, 4 * c, 4 * c + 4), RecurrentArgs().initial({state}));
        Tensor loss = sum(out.output);
        CHECK(graph_size(loss) < 100);  // one chunk's worth of nodes, not all chunks'
        lstm.zero_grad();
        loss.backward();
        chunk_grads.push_back(lstm.cell(0).weight_hh.grad());
        state = out.final_states[0];
    }
    // The last chunk's gradient equals a fresh run of that chunk from the carried-in state.
    State carried = lstm.cell(0).initial_state(2);
    {
        NoGradGuard ng;
        carried = lstm.forward(slice(xs, 0, 0, 8)).final_states[0];
    }
    lstm.zero_grad();
    sum(lstm.forward(slice(xs, 0, 8, 12), RecurrentArgs().initial({carried})).output).backward();
    CHECK(close(lstm.cell(0).weight_hh.grad(), chunk_grads[2], kDouble ? 1e-10 : 1e-5));
}
