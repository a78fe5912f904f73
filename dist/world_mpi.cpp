// SPDX-License-Identifier: MIT
// dist::World over MPI (OpenMPI). Every collective is started non-blocking
// and waited for with a deadline, so that no rank waits forever.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "../autograd/error.hpp"
#include "world.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace dist {

namespace {
MPI_Datatype real_type() { return sizeof(real) == 8 ? MPI_DOUBLE : MPI_FLOAT; }

std::shared_ptr<void> new_request() {
    return std::shared_ptr<void>(new MPI_Request(MPI_REQUEST_NULL), [](void* p) { delete static_cast<MPI_Request*>(p); });
}
MPI_Request* req(World::Request& r) { return static_cast<MPI_Request*>(r.handle.get()); }
}  // namespace

bool has_mpi() { return true; }

namespace {
// Started by mpirun (or another launcher)? Without one the program is a world
// of one and never starts MPI: no helper daemon, nothing to wait for.
bool launched() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MPI_LOCALNRANKS"})
        if (std::getenv(v)) return true;
    return false;
}
}  // namespace

World::World(int& argc, char**& argv) {
    if (const char* t = std::getenv("TAPEGRAD_DIST_TIMEOUT")) set_timeout_seconds(std::atof(t));
    int ready = 0;
    MPI_Initialized(&ready);
    if (!ready && !launched()) return;  // a world of one
    if (!ready) {
        int provided = 0;
        // FUNNELED: only the thread that made the World calls MPI (tapegrad's
        // own pool threads never do)
        MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
        started_mpi_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

World::~World() {
    if (started_mpi_) MPI_Finalize();
}

// In a world of one (size_ == 1) nothing below calls MPI: it may not be started.
World::Request World::start_sum(real* data, std::size_t n) {
    if (size_ == 1) return {};
    Request r{new_request()};
    if (n > std::size_t(INT32_MAX)) fail<ValueError>("dist: a sum of {} values is more than MPI can send at once", n);
    MPI_Iallreduce(MPI_IN_PLACE, data, int(n), real_type(), MPI_SUM, MPI_COMM_WORLD, req(r));
    return r;
}

void World::poll(std::vector<Request>& rs) {
    for (Request& r : rs)
        if (r.handle && *req(r) != MPI_REQUEST_NULL) {
            int done = 0;
            MPI_Test(req(r), &done, MPI_STATUS_IGNORE);
        }
}

void World::wait(std::vector<Request>& rs, const std::string& what) {
    const auto start = std::chrono::steady_clock::now();
    auto pause = std::chrono::microseconds(1);
    for (;;) {
        bool all = true;
        for (Request& r : rs)
            if (r.handle && *req(r) != MPI_REQUEST_NULL) {
                int done = 0;
                MPI_Test(req(r), &done, MPI_STATUS_IGNORE);
                all = all && done;
            }
        if (all) return;
        const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (waited > timeout_)
            abort(fmt::format("waited {:.0f} s for {} of the other ranks: one has stopped, died or taken another "
                              "path (TAPEGRAD_DIST_TIMEOUT sets the limit)",
                              waited, what));
        std::this_thread::sleep_for(pause);  // back off to 1 ms: a long wait should not burn a core
        pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
}

void World::barrier() {
    if (size_ == 1) return;
    std::vector<Request> r{{new_request()}};
    MPI_Ibarrier(MPI_COMM_WORLD, req(r[0]));
    wait(r, "a barrier");
}

void World::broadcast(real* data, std::size_t n, int root) {
    if (size_ == 1) return;
    std::vector<Request> r{{new_request()}};
    MPI_Ibcast(data, int(n), real_type(), root, MPI_COMM_WORLD, req(r[0]));
    wait(r, "a broadcast");
}

void World::broadcast(std::string& s, int root) {
    if (size_ == 1) return;
    long long n = static_cast<long long>(s.size());
    std::vector<Request> r{{new_request()}};
    MPI_Ibcast(&n, 1, MPI_LONG_LONG, root, MPI_COMM_WORLD, req(r[0]));
    wait(r, "a broadcast");
    s.resize(std::size_t(n));
    r = {{new_request()}};
    MPI_Ibcast(s.data(), int(n), MPI_CHAR, root, MPI_COMM_WORLD, req(r[0]));
    wait(r, "a broadcast");
}

namespace {
double reduce(World& w, double v, MPI_Op op) {
    if (w.size() == 1) return v;
    std::vector<World::Request> r{{new_request()}};
    MPI_Iallreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, op, MPI_COMM_WORLD, req(r[0]));
    w.wait(r, "a reduction");
    return v;
}
}  // namespace

double World::sum(double v) { return reduce(*this, v, MPI_SUM); }
double World::min(double v) { return reduce(*this, v, MPI_MIN); }
double World::max(double v) { return reduce(*this, v, MPI_MAX); }

void World::abort(const std::string& why, int status) {
    std::fprintf(stderr, "dist: rank %d of %d: %s\n", rank_, size_, why.c_str());
    std::fflush(stderr);
    if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, status);
    std::exit(status);
}

}  // namespace dist
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
