// SPDX-License-Identifier: MIT
// Under ThreadSanitizer: two threads train while the main thread flips the
// thread count, every speed layer and its anomaly mode
// (tests/tsan/switch_hammer.hpp). No data race, and both trainings learn.
#include <cstdio>

#include "switch_hammer.hpp"

int main() {
    const int bad = train_while_switching(2, 30);
    std::printf("%d trainings ended non-finite or did not learn\n", bad);
    return bad == 0 ? 0 : 1;
}
