// SPDX-License-Identifier: MIT
#include <chrono>
#include <cstdio>
#include <thread>
#include <cstdlib>
#include <optional>

#include "../autograd/error.hpp"
#include "../train/flags.hpp"
#include "world.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace dist {

namespace {
World* g_world = nullptr;
}

void World::set_timeout_seconds(double s) {
    if (!(s > 0)) fail<ValueError>("dist: a timeout of {} seconds is not positive", s);
    timeout_ = s;
}

World& world() {
    if (!g_world) fail<Error>("dist::world(): no World yet (start the program with dist::main)");
    return *g_world;
}

std::pair<std::size_t, std::size_t> shard(std::size_t n, const World& w) {
    const auto ranks = std::size_t(w.size()), r = std::size_t(w.rank());
    if (ranks > n)
        fail<ValueError>("dist::shard: {} items cannot be shared among {} ranks (each needs at least one); use a "
                         "larger batch or fewer ranks",
                         n, ranks);
    const std::size_t base = n / ranks, extra = n % ranks;  // the first `extra` ranks take one more
    const std::size_t begin = r * base + std::min(r, extra);
    return {begin, begin + base + (r < extra ? 1 : 0)};
}

int main(const char* name, int (*run)(int, char**), int argc, char** argv) {
    World w(argc, argv);
    g_world = &w;
    if (!w.is_root() && !std::getenv("TAPEGRAD_DIST_ALL_PRINT"))
        if (!std::freopen("/dev/null", "w", stdout)) std::fprintf(stderr, "%s: rank %d: cannot silence stdout\n", name, w.rank());
    const int status = train::guarded_main(name, run, argc, argv);
    // A rank that failed must not leave the others waiting in a collective:
    // the error is printed (guarded_main did); end the whole job.
    if (status != 0 && w.size() > 1) {
        // a moment for the other ranks that fail at the same place (a check
        // every rank makes) to say so, before the job ends
        std::this_thread::sleep_for(std::chrono::seconds(1));
        w.abort("failed; ending the job", status);
    }
    g_world = nullptr;
    return status;
}

}  // namespace dist
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
