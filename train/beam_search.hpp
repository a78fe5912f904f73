// SPDX-License-Identifier: MIT
#pragma once
// Beam search for any step-wise decoder. The decoder is a callback: given the
// parent beam of each surviving hypothesis (to reorder its own state) and the
// last token of each, it returns log-probabilities [K, V] for the next token.
// Finished hypotheses are ranked by length-normalised score
// log p / T^alpha (alpha = 0: raw log-probability; 1: per-token average).

#include <functional>
#include <vector>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

struct Hypothesis {
    std::vector<Index> tokens;  // without bos, without eos
    double log_prob = 0;
    double score = 0;           // log_prob / length^alpha
    std::vector<std::size_t> parents;  // beam index at each step (for following attention back)
};

// step(parents, last_tokens) -> log-probs [K, V] (row-major), K = parents.size().
using DecoderStep = std::function<Array(const std::vector<std::size_t>& parents, const std::vector<Index>& last)>;

// Returns up to `width` finished hypotheses, best first.
std::vector<Hypothesis> beam_search(const DecoderStep& step, std::size_t width, std::size_t max_len, Index bos,
                                    Index eos, double alpha = 1.0);

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
