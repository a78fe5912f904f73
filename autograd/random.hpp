#pragma once
// Seeded random numbers: every random tensor and every dropout mask comes
// from a Generator, so a run with the same seed is the same run.

#include <cstdint>
#include <random>

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

private:
    std::mt19937_64 engine_;
};

// The process-wide generator used when none is passed.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

Tensor randn(const Shape& shape, Generator& gen = default_generator(), bool requires_grad = false);
Tensor rand_uniform(const Shape& shape, real lo, real hi, Generator& gen = default_generator(),
                    bool requires_grad = false);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
