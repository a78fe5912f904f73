// SPDX-License-Identifier: MIT
#pragma once
// Evaluation metrics for sequence models.

#include <string>
#include <vector>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

// PP = exp(mean negative log-likelihood per token).
double perplexity(double total_nll, std::size_t tokens);

// Corpus BLEU (Papineni et al. 2002): geometric mean of the modified n-gram
// precisions for n = 1..max_n, pooled over the corpus, times the brevity
// penalty exp(1 - r/c) when the candidates are shorter than the references.
// Sentences are token sequences; returns a value in [0, 1].
double corpus_bleu(const std::vector<std::vector<std::string>>& candidates,
                   const std::vector<std::vector<std::string>>& references, int max_n = 4);

// Splits on whitespace (for word-level BLEU).
std::vector<std::string> tokenize(const std::string& text);

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
