// SPDX-License-Identifier: MIT
// dist_bench: the char-LM lstm128 training step (bench/workloads.cpp's
// shapes: global batch 32, T 64, E 64, H 128, V 65) as data-parallel
// training, each rank on its part of the batch. Run alone or under mpirun:
//   dist_bench --steps 20 --warmup 3 [--plain]
// prints, from rank 0, per-step times and the share of each step spent
// waiting for the gradient sums after backward, as JSON.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <dist/data_parallel.hpp>
#include <tapegrad_train.hpp>

using namespace tapegrad;

namespace {
constexpr std::size_t kBatch = 32, kT = 64, kVocab = 65;

struct CharLM : nn::Module {
    nn::Embedding emb;
    nn::LSTM rnn;
    nn::Linear out;
    explicit CharLM(Generator& g) : emb(kVocab, 64, -1, g), rnn(64, 128, nn::RecurrentOptions(), false, g), out(128, kVocab, true, g) {
        register_module("emb", emb);
        register_module("rnn", rnn);
        register_module("out", out);
    }
};

int run(int argc, char** argv) {
    int steps = 20, warmup = 3;
    bool plain = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
        else if (a == "--warmup" && i + 1 < argc) warmup = std::atoi(argv[++i]);
        else if (a == "--plain") plain = true;
        else fail<ValueError>("usage: dist_bench [--steps N] [--warmup N] [--plain]");
    }
    dist::World& w = dist::world();
    Generator g(1234);
    CharLM model(g);
    dist::DataParallelOptions o;
    o.overlap = !plain;
    dist::DataParallel ddp(model, w, o);
    optim::Adam opt(model.parameters(), real(1e-3));
    const auto [lo, hi] = dist::shard(kBatch, w);
    Ids x = Ids::zeros({kT, hi - lo}), y = Ids::zeros({kT, hi - lo});
    for (std::size_t k = 0; k < x.numel(); ++k) x.data()[k] = Index(g.next() % kVocab), y.data()[k] = Index(g.next() % kVocab);
    std::vector<double> ms, wait;
    for (int s = 0; s < warmup + steps; ++s) {
        w.barrier();  // the ranks start each step together
        const auto t0 = std::chrono::steady_clock::now();
        opt.zero_grad();
        ddp.backward(cross_entropy(model.out(model.rnn(model.emb(x)).output), y));
        optim::clip_grad_norm(model.parameters(), 5.0);
        opt.step();
        const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (s >= warmup) ms.push_back(w.max(dt)), wait.push_back(w.max(1000 * ddp.last_wait_seconds()));
    }
    std::printf("{\"ranks\": %d, \"overlap\": %s, \"buckets\": %zu, \"times_ms\": [", w.size(), plain ? "false" : "true",
                ddp.buckets());
    for (std::size_t i = 0; i < ms.size(); ++i) std::printf("%s%.4f", i ? ", " : "", ms[i]);
    std::printf("], \"wait_ms\": [");
    for (std::size_t i = 0; i < wait.size(); ++i) std::printf("%s%.4f", i ? ", " : "", wait[i]);
    std::printf("]}\n");
    return 0;
}
}  // namespace

int main(int argc, char** argv) { return dist::main("dist_bench", run, argc, argv); }
