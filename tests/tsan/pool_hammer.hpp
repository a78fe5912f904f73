// SPDX-License-Identifier: MIT
#pragma once
// One program thread's share of the pool stress: jobs of 1 to 9 parts, with
// pauses long enough for the workers to fall asleep. Returns how many parts
// ran other than exactly once. Used by the Catch2 suite and, under
// ThreadSanitizer, by pool_stress.cpp.
#include <speed/parallel.hpp>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

inline long hammer_pool(int seed, int iterations) {
    long wrong = 0;
    std::vector<int> runs(16);
    for (int it = 0; it < iterations; ++it) {
        const std::size_t parts = 1 + std::size_t(it * 7 + seed) % 9;
        std::fill(runs.begin(), runs.end(), 0);
        tapegrad::parallel_parts(parts, [&](std::size_t p) { ++runs[p]; });
        for (std::size_t p = 0; p < runs.size(); ++p) wrong += runs[p] != (p < parts ? 1 : 0);
        if (it % (iterations / 4 + 1) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(7));
    }
    return wrong;
}
