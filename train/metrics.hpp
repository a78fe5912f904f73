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

// Named entities in BIO tags (B-PER I-PER O B-LOC ...): each span is
// {first token, one past the last, type}. An I- tag that does not continue
// a span of its own type starts one (the CoNLL evaluation's reading).
struct Span {
    std::size_t begin, end;
    std::string type;
    bool operator<(const Span& o) const;
    bool operator==(const Span& o) const { return begin == o.begin && end == o.end && type == o.type; }
};
std::vector<Span> bio_spans(const std::vector<std::string>& tags);

// Entity-level precision, recall and F1 over a corpus: a predicted span
// counts only if its first token, last token and type all match a gold one.
struct SpanScore {
    std::size_t gold = 0, predicted = 0, correct = 0;
    double precision() const { return predicted ? double(correct) / double(predicted) : 0; }
    double recall() const { return gold ? double(correct) / double(gold) : 0; }
    double f1() const;
    void add(const std::vector<std::string>& gold_tags, const std::vector<std::string>& predicted_tags);
};

// Splits on whitespace (for word-level BLEU).
std::vector<std::string> tokenize(const std::string& text);

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
