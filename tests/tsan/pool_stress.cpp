// SPDX-License-Identifier: MIT
// The thread pool under ThreadSanitizer: three program threads hand it jobs
// of varying part counts at once, with pauses that let its workers fall
// asleep. Every part of every job must run exactly once, with no data race
// and no hang (ctest's timeout). Built on its own (tests/tsan/CMakeLists.txt):
// ThreadSanitizer cannot share a build with AddressSanitizer.
#include <atomic>
#include <cstdio>
#include <thread>

#include "pool_hammer.hpp"

using namespace tapegrad;

int main() {
    std::atomic<long> wrong{0};
    for (std::size_t threads : {3, 2}) {
        set_num_threads(threads);
        std::thread a([&] { wrong += hammer_pool(1, 50000); }), b([&] { wrong += hammer_pool(2, 50000); });
        wrong += hammer_pool(3, 50000);
        a.join();
        b.join();
    }
    std::printf("%ld parts ran a wrong number of times\n", wrong.load());
    return wrong.load() == 0 ? 0 : 1;
}
