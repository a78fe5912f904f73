// SPDX-License-Identifier: MIT
#pragma once
// The benchmark workloads, tapegrad side. Each returns a closure that runs
// one training step: forward + backward + clip-by-global-norm(5) + Adam(1e-3)
// (the floor runs forward + backward only).

#include <functional>
#include <string>

namespace bench {

struct Workload {
    std::string name;
    std::function<void()> step;
    double gemm_flops = 0;  // multiply-adds x 2 of the GEMMs in one step
};

// name: lstm128, lstm128_cell, lstm128_hoisted, lstm128_layer (the LSTM layer alone:
// forward + backward, no optimizer), the same at 512, seq2seq, floor128, floor512
// T overrides the sequence length of the char-LM workloads (0 = default 64).
// checkpoint_every: gradient checkpointing of the char-LMs' recurrent layer (0: off)
Workload make_workload(const std::string& name, std::size_t T = 0, std::size_t checkpoint_every = 0);

// GFLOP/s of OpenBLAS sgemm on the hidden-512 LSTM step's own shapes.
double sgemm_rate_lstm(std::size_t hidden);

}  // namespace bench
