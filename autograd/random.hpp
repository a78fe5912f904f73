// SPDX-License-Identifier: MIT
#pragma once
// Seeded random numbers: every random tensor and every dropout mask comes
// from a Generator, so a run with the same seed is the same run.

#include <cstdint>
#include <random>
#include <string>

#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

class Generator {
public:
    explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}
    void seed(std::uint64_t s) { engine_.seed(s); }
    real uniform(real lo = 0, real hi = 1) { return std::uniform_real_distribution<real>(lo, hi)(engine_); }
    real normal(real mean = 0, real stddev = 1) { return std::normal_distribution<real>(mean, stddev)(engine_); }
    bool bernoulli(double p) { return std::bernoulli_distribution(p)(engine_); }
    std::uint64_t next() { return engine_(); }
    std::mt19937_64& engine() { return engine_; }

    // The engine's whole state as an array, for checkpoints: the 313 64-bit
    // words of std::mt19937_64's state (312 words and a position), each as
    // four 16-bit pieces, so that float32 holds them exactly. Shape [313, 4].
    Array state() const;
    // A generator in the state `state()` gave. Throws ValueError, naming
    // `what`, for an array that is not such a state.
    static Generator from_state(const Array& state, const std::string& what);

private:
    std::mt19937_64 engine_;
};

// The generator used when none is passed: one per thread, each starting
// from seed 5489; manual_seed seeds the calling thread's.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

Tensor randn(const Shape& shape, Generator& gen = default_generator(), bool requires_grad = false);
Tensor rand_uniform(const Shape& shape, real lo, real hi, Generator& gen = default_generator(),
                    bool requires_grad = false);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
