// The thread pool under ThreadSanitizer: three program threads hand it jobs
// of varying part counts at once, with pauses that let its workers fall
// asleep. Every part of every job must run exactly once, with no data race
// and no hang (ctest's timeout). Built on its own (tests/tsan/CMakeLists.txt):
// ThreadSanitizer cannot share a build with AddressSanitizer.
#include <autograd/parallel.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

using namespace tapegrad;

int main() {
    std::atomic<long> wrong{0};
    auto hammer = [&](int seed) {
        std::vector<int> runs(16);
        for (int it = 0; it < 50000; ++it) {
            const std::size_t parts = 1 + std::size_t(it * 7 + seed) % 9;
            std::fill(runs.begin(), runs.end(), 0);
            parallel_parts(parts, [&](std::size_t p) { ++runs[p]; });
            for (std::size_t p = 0; p < runs.size(); ++p) wrong += runs[p] != (p < parts ? 1 : 0);
            if (it % 10000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(7));
        }
    };
    for (std::size_t threads : {3, 2}) {
        set_num_threads(threads);
        std::thread a(hammer, 1), b(hammer, 2);
        hammer(3);
        a.join();
        b.join();
    }
    std::printf("%ld parts ran a wrong number of times\n", wrong.load());
    return wrong.load() == 0 ? 0 : 1;
}
