// SPDX-License-Identifier: MIT
// dist::World without MPI: a world of one process, every collective immediate.
#include <cstdio>
#include <cstdlib>

#include "../autograd/error.hpp"
#include "world.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace dist {

bool has_mpi() { return false; }

World::World(int&, char**&) {
    if (const char* t = std::getenv("TAPEGRAD_DIST_TIMEOUT")) set_timeout_seconds(std::atof(t));
}
World::~World() = default;

World::Request World::start_sum(real*, std::size_t) { return {}; }
void World::poll(std::vector<Request>&) {}
void World::wait(std::vector<Request>&, const std::string&) {}
void World::barrier() {}
void World::broadcast(real*, std::size_t, int) {}
void World::broadcast(std::string&, int) {}
double World::sum(double v) { return v; }
double World::min(double v) { return v; }
double World::max(double v) { return v; }

void World::abort(const std::string& why, int status) {
    std::fprintf(stderr, "dist: %s\n", why.c_str());
    std::exit(status);
}

}  // namespace dist
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
