// SPDX-License-Identifier: MIT
#pragma once
// Data-parallel training over MPI: the processes of one job and what they
// do together. Built over OpenMPI when the build finds it (TAPEGRAD_MPI);
// without MPI, or started without mpirun, the world is this one process
// and every call below is immediate, so a program is the same either way:
//
//   int main(int argc, char** argv) { return dist::main("train", run, argc, argv); }
//   ... in run():
//   dist::World& w = dist::world();
//   dist::DataParallel ddp(model);            // every rank starts from rank 0's weights
//   auto [lo, hi] = dist::shard(batch, w);    // this rank's part of every batch
//   ddp.backward(loss);                       // gradients averaged over the ranks
//   opt.step();
//
// Every collective waits at most timeout_seconds() (TAPEGRAD_DIST_TIMEOUT,
// default 300): a rank that stopped, diverged or died makes the others end
// the job with an error naming what they waited for, never hang.

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace dist {

class World {
public:
    // Starts MPI (or nothing, without it). One World per process.
    World(int& argc, char**& argv);
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    int world_size() const { return size_; }  // the same, by its MPI name
    bool is_root() const { return rank_ == 0; }
    double timeout_seconds() const { return timeout_; }
    void set_timeout_seconds(double s);

    void barrier();
    void broadcast(real* data, std::size_t n, int root);
    void broadcast(std::string& s, int root);
    double sum(double v);
    double min(double v);
    double max(double v);

    // A sum over every rank, in place, started now and finished by wait():
    // what lets a reducer send gradients while backward goes on.
    struct Request {
        std::shared_ptr<void> handle;  // MPI's request; null when already done
    };
    Request start_sum(real* data, std::size_t n);
    // Lets started requests make progress without waiting for them.
    void poll(std::vector<Request>& requests);
    // Waits for every request; `what` names them if the wait times out.
    void wait(std::vector<Request>& requests, const std::string& what);

    // Prints "name: rank R: why" and ends the whole job (MPI_Abort); in a
    // world of one, exits.
    [[noreturn]] void abort(const std::string& why, int status = 1);

private:
    int rank_ = 0, size_ = 1;
    double timeout_ = 300;
    bool started_mpi_ = false;
};

// The process's World (the one dist::main made). Throws if there is none.
World& world();
// Whether this build has MPI.
bool has_mpi();

// This rank's part [begin, end) of n items: the ranks take contiguous,
// nearly equal parts in rank order. Throws if there are more ranks than items.
std::pair<std::size_t, std::size_t> shard(std::size_t n, const World& w);

// Runs run(argc, argv) as train::guarded_main does (an error is one line
// on stderr, status 1), in a World: on every rank but 0, standard output
// goes to /dev/null (one progress line for the job; TAPEGRAD_DIST_ALL_PRINT=1
// keeps them all), and a rank that fails ends the job for all.
int main(const char* name, int (*run)(int, char**), int argc, char** argv);

}  // namespace dist
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
