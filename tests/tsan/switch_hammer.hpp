// SPDX-License-Identifier: MIT
#pragma once
// Training threads while another thread flips every process-wide switch:
// the thread count (the pool is replaced under running jobs), each speed
// layer, and its own anomaly mode (per thread: it must not reach the
// trainers). Each trainer has its own model, optimizer and generator.
// Returns how many trainers ended with a non-finite loss or one that did not
// fall. Used by the Catch2 suite (under ASan in CI) and, under
// ThreadSanitizer, by tests/tsan/switch_stress.cpp.
#include <tapegrad.hpp>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

inline int train_while_switching(int trainers, int steps) {
    using namespace tapegrad;
    std::atomic<int> running{trainers}, bad{0};
    auto train = [&](std::uint64_t seed) {
        Generator gen(seed);
        nn::LSTM lstm(8, 64, {}, false, gen);
        nn::Linear head(64, 4, true, gen);
        std::vector<Tensor> params = lstm.parameters();
        for (const Tensor& p : head.parameters()) params.push_back(p);
        optim::Adam opt(params, {0.01});
        const Tensor xs = randn(Shape{6, 32, 8}, gen);  // [T, B, input]
        const Tensor target = randn(Shape{32, 4}, gen);
        double first = 0, last = 0;
        for (int s = 0; s < steps; ++s) {
            Tensor loss = mse(head(select(lstm.forward(xs).h_n(), 0)), target);
            opt.zero_grad();
            loss.backward();
            opt.step();
            last = loss.item();
            if (s == 0) first = last;
        }
        if (!std::isfinite(last) || !(last < first)) ++bad;
        --running;
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < trainers; ++i) threads.emplace_back(train, std::uint64_t(100 + i));
    const std::size_t saved_threads = num_threads();
    const bool fusion = elementwise_fusion(), staged = staged::enabled(), transposed = transposed_weight::enabled(),
               release = value_release::enabled();
    for (unsigned k = 0; running.load() > 0; ++k) {
        set_num_threads(1 + k % 3);
        set_elementwise_fusion(k % 2 == 0);
        staged::set_enabled(k % 3 == 0);
        transposed_weight::set_enabled(k % 5 != 0);
        value_release::set_enabled(k % 4 != 0);
        set_anomaly_mode(k % 2 == 1);  // this thread's only
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (auto& t : threads) t.join();
    set_anomaly_mode(false);
    set_elementwise_fusion(fusion);
    staged::set_enabled(staged);
    transposed_weight::set_enabled(transposed);
    value_release::set_enabled(release);
    set_num_threads(saved_threads);
    return bad.load();
}
