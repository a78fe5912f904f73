// SPDX-License-Identifier: MIT
// What is safe across threads: the process-wide switches may be flipped at
// any time while other threads train; grad mode and anomaly mode are per
// thread. (tests/tsan runs the switch hammer under ThreadSanitizer.)
#include <thread>

#include "helpers.hpp"
#include "tsan/switch_hammer.hpp"

using namespace th;

TEST_CASE("threads train while another flips the thread count, the speed layers and its anomaly mode", "[threads]") {
    CHECK(train_while_switching(2, 40) == 0);
}

TEST_CASE("anomaly mode is per thread: one thread's checks do not reach another", "[threads][anomaly]") {
    AnomalyMode on;
    bool other_threw = false, other_mode = true;
    std::thread other([&] {
        other_mode = anomaly_mode();
        Tensor x = Tensor::from({-1}, make_shape({1}), true);
        try {
            (void)log(x);  // NaN, unchecked on this thread
        } catch (const AnomalyError&) {
            other_threw = true;
        }
    });
    other.join();
    CHECK_FALSE(other_mode);
    CHECK_FALSE(other_threw);
    Tensor x = Tensor::from({-1}, make_shape({1}), true);
    CHECK_THROWS_AS(log(x), AnomalyError);
}

TEST_CASE("the default generator is per thread: seeding one thread leaves another's sequence alone", "[threads]") {
    manual_seed(7);
    const real a = default_generator().uniform();
    real b = 0;
    std::thread other([&] {
        manual_seed(7);
        b = default_generator().uniform();
    });
    other.join();
    CHECK(a == b);
}
