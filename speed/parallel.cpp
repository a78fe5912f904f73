// SPDX-License-Identifier: MIT
#include "parallel.hpp"

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../autograd/error.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace {

thread_local bool t_pool_worker = false;  // this thread is one of a pool's workers

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
}

// After its last job a worker polls for the next one, first with a pause
// between polls (a recurrent step's next GEMM is microseconds away), then
// yielding the core between polls (bridging the serial stretches of a
// training step: a loss, a concat, a small optimizer update -- a wake-up from
// sleep costs ~40 us, more than most parallel jobs save), then sleeps.
constexpr auto kSpin = std::chrono::microseconds(50);
constexpr auto kYield = std::chrono::milliseconds(5);

// Tell the BLAS to stay on the calling thread, so that the pool's slabs do
// not each start BLAS threads of their own. Looked up at run time: with a
// BLAS that has no such switch (reference BLAS is single-threaded anyway),
// nothing is done.
void blas_single_threaded() {
    using SetThreads = void (*)(int);
    for (const char* name : {"openblas_set_num_threads", "goto_set_num_threads"})
        if (void* f = dlsym(RTLD_DEFAULT, name)) {
            reinterpret_cast<SetThreads>(f)(1);
            return;
        }
}

std::size_t threads_from_environment() {
    if (const char* v = std::getenv("TAPEGRAD_SPEED"); v && std::string(v) == "0") return 1;  // every layer off
    for (const char* var : {"TAPEGRAD_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}) {
        const char* v = std::getenv(var);
        if (!v || !*v) continue;
        char* end = nullptr;
        long n = std::strtol(v, &end, 10);
        if (*end != '\0' || n < 1 || n > 1024)
            fail<ValueError>("tapegrad threads: {}={:?} is not a thread count (1 to 1024)", var, std::string(v));
        return static_cast<std::size_t>(n);
    }
    unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : hw;
}

// Jobs are handed out part by part: whoever is free claims the next part of
// the current job, the calling thread included. A worker that is late (a vCPU
// descheduled for a few hundred microseconds is common on shared machines)
// then costs nothing: the caller runs the unclaimed parts itself instead of
// waiting for it. The caller claims from the front and the workers from the
// back, so with one part per thread the same thread runs the same part job
// after job: the rows of a batch that one op wrote are in the cache of the
// core that runs the next op on them (a recurrent step's GEMM, gates and
// next GEMM all split the batch the same way).
class Pool {
public:
    explicit Pool(std::size_t threads) {
        blas_single_threaded();
        for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }
    ~Pool() {
        stop_.store(true);
        { std::lock_guard<std::mutex> lock(mutex_); }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
    }
    std::size_t threads() const { return workers_.size() + 1; }

    void run(std::size_t parts, detail::PartFn fn, void* ctx) {
        if (parts <= 1 || parts > kMaxParts || busy_.test_and_set(std::memory_order_acquire)) {
            for (std::size_t p = 0; p < parts; ++p) fn(ctx, p);
            return;
        }
        fn_ = fn;
        ctx_ = ctx;
        finished_.store(0, std::memory_order_relaxed);
        const std::uint32_t job = ++job_;  // wraps; only equality with the current job matters
        // seq_cst: pairs with a worker's sleeping_ increment, so either it sees
        // the new job or this thread sees it sleeping (no lost wake-up).
        state_.store(pack(job, parts, 0));
        if (sleeping_.load() > 0) {
            { std::lock_guard<std::mutex> lock(mutex_); }
            wake_.notify_all();
        }
        std::size_t mine = 0;
        for (std::size_t p; claim(job, p, /*from_back=*/false);) {
            fn(ctx, p);
            ++mine;
        }
        // Every part is claimed now; wait for those that workers are running.
        while (finished_.load(std::memory_order_acquire) != parts - mine) cpu_relax();
        busy_.clear(std::memory_order_release);
    }

private:
    // The whole job in one word -- job number (32 bits), the end of the
    // unclaimed parts and the first of them (16 bits each) -- so that a claim
    // checks all three and takes a part in one compare-and-swap. (With the
    // bounds kept apart, a late worker could read the next job's bounds
    // against the finished job's state and claim a part that does not exist.)
    static constexpr std::size_t kMaxParts = 0xffff;
    static std::uint64_t pack(std::uint32_t job, std::size_t end, std::size_t next) {
        return std::uint64_t(job) << 32 | std::uint64_t(end) << 16 | std::uint64_t(next);
    }
    static std::uint32_t job_of(std::uint64_t s) { return static_cast<std::uint32_t>(s >> 32); }

    // Takes the first (or last) unclaimed part of `job`, if that job is still
    // current and has one.
    bool claim(std::uint32_t job, std::size_t& part, bool from_back) {
        std::uint64_t s = state_.load(std::memory_order_acquire);
        for (;;) {
            const std::size_t end = (s >> 16) & 0xffff, next = s & 0xffff;
            if (job_of(s) != job || next >= end) return false;
            const std::uint64_t taken = from_back ? s - (std::uint64_t(1) << 16) : s + 1;
            if (state_.compare_exchange_weak(s, taken, std::memory_order_acq_rel, std::memory_order_acquire)) {
                part = from_back ? end - 1 : next;
                return true;
            }
        }
    }

    void work() {
        t_pool_worker = true;
        std::uint32_t seen = 0;  // the last job this worker looked at
        for (;;) {
            std::uint32_t job = job_of(state_.load(std::memory_order_acquire));
            auto idle_since = std::chrono::steady_clock::now();
            bool yielding = false;
            for (unsigned spins = 0; job == seen && !stop_.load(std::memory_order_relaxed); ++spins) {
                if (yielding)
                    std::this_thread::yield();
                else
                    cpu_relax();
                if ((spins & 63) == 63) {
                    const auto idle = std::chrono::steady_clock::now() - idle_since;
                    yielding = idle > kSpin;
                    if (idle > kYield) {
                        sleeping_.fetch_add(1);
                        std::unique_lock<std::mutex> lock(mutex_);
                        wake_.wait(lock, [&] { return job_of(state_.load()) != seen || stop_.load(); });
                        sleeping_.fetch_sub(1);
                        idle_since = std::chrono::steady_clock::now();
                        yielding = false;
                    }
                }
                job = job_of(state_.load(std::memory_order_acquire));
            }
            if (stop_.load()) return;
            seen = job;
            // A successful claim means `job` is still running (its caller is
            // claiming, or waiting for this part), so fn_ and ctx_ are its own.
            for (std::size_t p; claim(job, p, /*from_back=*/true);) {
                fn_(ctx_, p);
                finished_.fetch_add(1, std::memory_order_release);
            }
        }
    }

    std::vector<std::thread> workers_;
    detail::PartFn fn_ = nullptr;  // the current job, written before state_
    void* ctx_ = nullptr;
    std::uint32_t job_ = 0;
    std::atomic<std::uint64_t> state_{0};   // pack(job, parts, next unclaimed part)
    std::atomic<std::size_t> finished_{0};  // parts of the current job finished by workers
    std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
    std::atomic<bool> stop_{false};
    std::atomic<int> sleeping_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
};

// The process's pool, made on first use. Jobs hold it by shared_ptr, so
// set_num_threads can swap in a new pool while other threads compute: the
// old one is destroyed (its workers joined) when the last job running on it
// returns. Workers never hold it (a part that calls run_parts runs serially,
// below), so a pool is never destroyed from one of its own threads. At exit
// the holder joins the workers; a tapegrad call from a later static
// destructor runs serially.
std::mutex pool_mutex;  // guards making and replacing the pool
std::shared_ptr<Pool> pool_current;  // read and swapped with std::atomic_load/store
std::atomic<bool> pool_gone{false};
// The current pool's thread count, so that num_threads() -- asked before
// every parallel loop -- reads one word instead of copying the shared_ptr.
// 0 until the pool is made.
std::atomic<std::size_t> pool_threads{0};
struct PoolHolder {
    ~PoolHolder() {
        pool_gone.store(true);
        std::atomic_store(&pool_current, std::shared_ptr<Pool>());
    }
} pool_holder;

std::shared_ptr<Pool> pool() {
    if (t_pool_worker || pool_gone.load(std::memory_order_acquire)) return nullptr;
    if (auto p = std::atomic_load(&pool_current)) return p;
    std::lock_guard<std::mutex> lock(pool_mutex);
    if (auto p = std::atomic_load(&pool_current)) return p;
    auto p = std::make_shared<Pool>(threads_from_environment());
    std::atomic_store(&pool_current, p);
    pool_threads.store(p->threads(), std::memory_order_release);
    return p;
}

}  // namespace

std::size_t default_num_threads() { return threads_from_environment(); }

std::size_t num_threads() {
    if (t_pool_worker || pool_gone.load(std::memory_order_acquire)) return 1;
    if (const std::size_t n = pool_threads.load(std::memory_order_acquire)) return n;
    auto p = pool();  // the first call makes it
    return p ? p->threads() : 1;
}

void set_num_threads(std::size_t n) {
    if (n < 1 || n > 1024) fail<ValueError>("set_num_threads: {} is not a thread count (1 to 1024)", n);
    if (num_threads() == n || pool_gone.load()) return;
    auto fresh = std::make_shared<Pool>(n);
    std::lock_guard<std::mutex> lock(pool_mutex);
    pool_threads.store(n, std::memory_order_release);
    std::atomic_store(&pool_current, std::move(fresh));  // the old pool goes with its last job
}

namespace detail {
void run_parts(std::size_t parts, PartFn fn, void* ctx) {
    if (parts > 1)
        if (auto p = pool()) return p->run(parts, fn, ctx);
    for (std::size_t part = 0; part < parts; ++part) fn(ctx, part);
}
}  // namespace detail

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
