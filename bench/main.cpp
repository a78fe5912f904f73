// SPDX-License-Identifier: MIT
// tapegrad_bench: runs one workload and prints its per-step times as JSON.
//   tapegrad_bench --workload lstm128 --steps 20 --warmup 3 [--T 1000]
//   tapegrad_bench --sgemm 512        (OpenBLAS sgemm GFLOP/s on that LSTM's shapes)
//   tapegrad_bench --workload seq2seq --profile 1   (also: time per op, to stderr)
// The driver (bench/run.py) alternates it with PyTorch and prints the table.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <tapegrad.hpp>

#include "workloads.hpp"

namespace {
// VmHWM, not getrusage's ru_maxrss: the latter carries over the parent's
// peak across fork+exec, so a child of a big Python process would report it.
long peak_rss_kb() {
    long kb = 0;
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f))
            if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
        std::fclose(f);
    }
    return kb;
}
long current_rss_kb() {
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * 4;
}
}  // namespace

int main(int argc, char** argv) {
    std::string name;
    int steps = 20, warmup = 3;
    std::size_t T = 0, sgemm = 0, checkpoint_every = 0;
    bool profile = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--workload") name = v;
        else if (a == "--steps") steps = std::atoi(v.c_str());
        else if (a == "--warmup") warmup = std::atoi(v.c_str());
        else if (a == "--T") T = std::strtoul(v.c_str(), nullptr, 10);
        else if (a == "--checkpoint-every") checkpoint_every = std::strtoul(v.c_str(), nullptr, 10);
        else if (a == "--sgemm") sgemm = std::strtoul(v.c_str(), nullptr, 10);
        else if (a == "--profile") profile = v != "0";
        else {
            std::fprintf(stderr, "tapegrad_bench: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (sgemm) {
        std::printf("{\"sgemm_gflops\": %.2f}\n", bench::sgemm_rate_lstm(sgemm));
        return 0;
    }
    if (name.empty()) {
        std::fprintf(stderr, "usage: tapegrad_bench --workload NAME [--steps N] [--warmup N] [--T N] [--checkpoint-every K] | --sgemm H\n");
        return 2;
    }
    try {
        bench::Workload w = bench::make_workload(name, T, checkpoint_every);
        const long base_rss = current_rss_kb();
        std::vector<double> ms;
        std::unique_ptr<tapegrad::Profiler> prof;
        for (int s = 0; s < warmup + steps; ++s) {
            if (profile && s == warmup) prof = std::make_unique<tapegrad::Profiler>();
            auto t0 = std::chrono::steady_clock::now();
            w.step();
            const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            if (s >= warmup) ms.push_back(dt);
        }
        if (prof)
            std::fprintf(stderr, "%s: time per op over %d steps (ms)\n%s", name.c_str(), steps, prof->table(40).c_str());
        std::printf("{\"workload\": \"%s\", \"gemm_flops\": %.6g, \"base_rss_kb\": %ld, \"peak_rss_kb\": %ld, \"times_ms\": [",
                    name.c_str(), w.gemm_flops, base_rss, peak_rss_kb());
        for (std::size_t i = 0; i < ms.size(); ++i) std::printf("%s%.4f", i ? ", " : "", ms[i]);
        std::printf("]}\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tapegrad_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
