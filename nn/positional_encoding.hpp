// SPDX-License-Identifier: MIT
#pragma once
// Positions for attention, which by itself sees a set, not a sequence.
//   sinusoidal (Vaswani et al. 2017), a constant:
//       PE[t, 2i]   = sin(t / 10000^(2i/E))
//       PE[t, 2i+1] = cos(t / 10000^(2i/E))
//   learned: a trainable table PE [max_len, E] ("weight").
// Both add PE[offset .. offset+T) to x [T, B, E]; `offset` is the position of
// x's first row, so an incremental decoder passes the step it is at.

#include "module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

class SinusoidalPositionalEncoding : public Module {
public:
    explicit SinusoidalPositionalEncoding(std::size_t d_model, std::size_t max_len = 1024);
    Tensor forward(const Tensor& x, std::size_t offset = 0) const;
    Tensor operator()(const Tensor& x, std::size_t offset = 0) const { return forward(x, offset); }
    Tensor table;  // [max_len, E], not a parameter
};

class LearnedPositionalEncoding : public Module {
public:
    LearnedPositionalEncoding(std::size_t max_len, std::size_t d_model, Generator& gen = default_generator());
    Tensor forward(const Tensor& x, std::size_t offset = 0) const;
    Tensor operator()(const Tensor& x, std::size_t offset = 0) const { return forward(x, offset); }
    Tensor weight;  // [max_len, E], N(0, 0.02) as GPT-2's
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
