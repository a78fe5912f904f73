// SPDX-License-Identifier: MIT
// tapegrad's thread pool and the GEMMs and kernels it splits: the same
// answers on any number of threads, safe from several threads at once.
#include <atomic>
#include <thread>

#include <ops/gemm.hpp>

#include "helpers.hpp"
#include "tsan/pool_hammer.hpp"

using namespace th;

namespace {
// Restores the thread count a test changed.
struct ThreadsGuard {
    std::size_t saved = num_threads();
    ~ThreadsGuard() { set_num_threads(saved); }
};

// C = op(A) op(B) in plain loops, in double.
xt::xarray<double> reference_gemm(bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, const Array& A,
                                  const Array& B) {
    xt::xarray<double> C = xt::zeros<double>({M, N});
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            double s = 0;
            for (std::size_t k = 0; k < K; ++k)
                s += double(ta ? A(k, i) : A(i, k)) * double(tb ? B(j, k) : B(k, j));
            C(i, j) = s;
        }
    return C;
}
}  // namespace

TEST_CASE("parallel_parts runs every part exactly once, on any thread count") {
    ThreadsGuard guard;
    for (std::size_t threads : {1, 2, 3, 4}) {
        set_num_threads(threads);
        REQUIRE(num_threads() == threads);
        for (int rep = 0; rep < 200; ++rep) {
            std::atomic<int> hits[4] = {};
            parallel_parts(threads, [&](std::size_t p) { hits[p].fetch_add(1); });
            for (std::size_t p = 0; p < 4; ++p) REQUIRE(hits[p].load() == (p < threads ? 1 : 0));
        }
    }
}

TEST_CASE("parallel_parts runs more parts than threads, and bad thread counts are refused") {
    ThreadsGuard guard;
    set_num_threads(2);
    for (int rep = 0; rep < 100; ++rep) {
        std::atomic<int> hits[7] = {};
        parallel_parts(7, [&](std::size_t p) { hits[p].fetch_add(1); });
        for (auto& h : hits) REQUIRE(h.load() == 1);
    }
    CHECK_THROWS_AS(set_num_threads(0), ValueError);
    CHECK_THROWS_WITH(set_num_threads(5000), Catch::Contains("5000"));
}

TEST_CASE("the pool wakes up after its workers went to sleep") {
    ThreadsGuard guard;
    set_num_threads(2);
    for (int rep = 0; rep < 5; ++rep) {
        std::this_thread::sleep_for(std::chrono::milliseconds(3));  // longer than the workers spin
        std::atomic<int> n{0};
        parallel_parts(2, [&](std::size_t) { n.fetch_add(1); });
        CHECK(n.load() == 2);
    }
}

TEST_CASE("parallel_for covers the range once, in slabs no smaller than the grain") {
    ThreadsGuard guard;
    for (std::size_t threads : {1, 2, 3}) {
        set_num_threads(threads);
        for (std::size_t n : {0, 1, 7, 100, 1000, 4099}) {
            std::vector<int> seen(n, 0);
            std::atomic<int> calls{0};
            parallel_for(n, 64, [&](std::size_t lo, std::size_t hi) {
                CHECK(lo < hi);
                calls.fetch_add(1);
                for (std::size_t i = lo; i < hi; ++i) ++seen[i];
            });
            for (std::size_t i = 0; i < n; ++i) REQUIRE(seen[i] == 1);
            CHECK(std::size_t(calls.load()) <= std::max<std::size_t>(1, std::min(threads, n / 64)));
        }
    }
}

TEST_CASE("gemm gives the same product whole and cut into slabs") {
    ThreadsGuard guard;
    // Shapes above the split threshold, cut by rows (M >= N) and by columns,
    // sides that are not multiples of the slab alignment, all transposes.
    const std::size_t shapes[][3] = {{300, 70, 40}, {33, 517, 64}, {32, 512, 128}, {129, 129, 33}, {32, 128, 512},
                                     {20, 300, 200}};
    for (auto [M, N, K] : shapes)
        for (bool ta : {false, true})
            for (bool tb : {false, true}) {
                Array A = rnd(ta ? make_shape({K, M}) : make_shape({M, K}), 1, -1, 1, false).value();
                Array B = rnd(tb ? make_shape({N, K}) : make_shape({K, N}), 2, -1, 1, false).value();
                Array C0 = rnd(make_shape({M, N}), 3, -1, 1, false).value();
                const auto ref = reference_gemm(ta, tb, M, N, K, A, B);
                for (std::size_t threads : {1, 2, 3}) {
                    set_num_threads(threads);
                    Array C = C0;  // alpha 2, beta 0.5: both must reach every slab
                    gemm(ta, tb, M, N, K, 2, A.data(), ta ? M : K, B.data(), tb ? K : N, real(0.5), C.data(), N);
                    double worst = 0;
                    for (std::size_t i = 0; i < M; ++i)
                        for (std::size_t j = 0; j < N; ++j)
                            worst = std::max(worst, std::abs(double(C(i, j)) - (2 * ref(i, j) + 0.5 * C0(i, j))));
                    INFO("M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb << " threads=" << threads);
                    CHECK(worst < (kDouble ? 1e-10 : 1e-3));
                }
            }
}

TEST_CASE("training on two threads of the program at once gives each its own answer") {
    ThreadsGuard guard;
    set_num_threads(2);
    // Each program thread runs a forward/backward with GEMMs big enough to
    // split; when both want the pool, one of them runs its slabs itself.
    auto run = [](std::uint64_t seed) {
        Tensor a = rnd(make_shape({64, 256}), seed), b = rnd(make_shape({256, 128}), seed + 1);
        Tensor y = sum(matmul(a, b) * matmul(a, b));
        y.backward();
        return std::make_pair(Array(y.value()), Array(a.grad()));
    };
    const auto expect1 = run(10), expect2 = run(20);
    for (int rep = 0; rep < 20; ++rep) {
        std::pair<Array, Array> got1, got2;
        std::thread other([&] { got2 = run(20); });
        got1 = run(10);
        other.join();
        REQUIRE(bool(got1.first == expect1.first));
        REQUIRE(bool(got1.second == expect1.second));
        REQUIRE(bool(got2.first == expect2.first));
        REQUIRE(bool(got2.second == expect2.second));
    }
}

TEST_CASE("the pool under three program threads: every part of every job runs exactly once") {
    ThreadsGuard guard;
    set_num_threads(3);
    // A worker late for one job must never claim a part of it once the next
    // job is being set up (tests/tsan runs the same under ThreadSanitizer).
    std::atomic<long> wrong{0};
    std::thread a([&] { wrong += hammer_pool(1, 20000); }), b([&] { wrong += hammer_pool(2, 20000); });
    wrong += hammer_pool(3, 20000);
    a.join();
    b.join();
    CHECK(wrong.load() == 0);
}
