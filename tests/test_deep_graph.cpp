// SPDX-License-Identifier: MIT
// Long graphs: the backward walk, the sort and the destruction are all
// iterative, so depth is limited by memory, not by the stack. Each case runs
// on a thread with a deliberately small stack (1 MiB): anything that
// recursed once per node would overflow it.
#include <pthread.h>

#include <functional>

#include "helpers.hpp"

using namespace th;

namespace {
void run_with_small_stack(const std::function<void()>& fn) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    pthread_t thread;
    auto trampoline = [](void* arg) -> void* {
        (*static_cast<const std::function<void()>*>(arg))();
        return nullptr;
    };
    REQUIRE(pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)) == 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
}
}  // namespace

TEST_CASE("a 100,000-op chain runs backward and is destroyed without recursion", "[deep]") {
    ElementwiseFusion eager(false);  // one node per op
    Tensor x = Tensor::scalar(real(0.5), true);
    std::size_t walked_nodes = 0, unwalked_nodes = 0;
    run_with_small_stack([&] {
        {
            Tensor y = x;
            for (int i = 0; i < 50000; ++i) y = y * real(1.00001) + real(0);  // 2 nodes per step
            walked_nodes = graph_size(y);
            y.backward();
        }
        {  // never walked: destroyed as one 100,000-node chain
            Tensor y = x;
            for (int i = 0; i < 100000; ++i) y = tanh(y);
            unwalked_nodes = graph_size(y);
        }
    });
    CHECK(walked_nodes == 100000);
    CHECK(unwalked_nodes == 100000);
    CHECK(x.grad().data()[0] == Approx(std::pow(double(real(1.00001)), 50000)).epsilon(1e-3));
}

TEST_CASE("a 20,000-step unrolled RNN runs backward and is destroyed", "[deep]") {
    const std::size_t T = 20000, B = 2, I = 3, H = 4;
    Tensor W_xh = rnd({I, H}, 1, -0.3, 0.3), W_hh = rnd({H, H}, 2, -0.3, 0.3), b = rnd({H}, 3);
    Tensor xs = rnd({T, B, I}, 4, -1, 1, false);
    run_with_small_stack([&] {
        Tensor h = Tensor::zeros(make_shape({B, H}));
        Tensor loss = Tensor::scalar(0);
        for (std::size_t t = 0; t < T; ++t) {
            h = tanh(matmul(select(xs, t), W_xh) + matmul(h, W_hh) + b);
            if (t % 100 == 99) loss = loss + sum(h);
        }
        loss.backward();
    });
    for (const Tensor& p : {W_xh, W_hh, b}) {
        REQUIRE(p.has_grad());
        for (real v : p.grad()) CHECK(std::isfinite(v));
    }
}
