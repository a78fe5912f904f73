// SPDX-License-Identifier: MIT
#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <sstream>
#include <tuple>

#include "../autograd/error.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

double perplexity(double total_nll, std::size_t tokens) {
    if (tokens == 0) fail<ValueError>("perplexity: no tokens");
    return std::exp(total_nll / double(tokens));
}

std::vector<std::string> tokenize(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

double corpus_bleu(const std::vector<std::vector<std::string>>& cand, const std::vector<std::vector<std::string>>& ref,
                   int max_n) {
    if (cand.size() != ref.size())
        fail<ValueError>("corpus_bleu: {} candidates but {} references", cand.size(), ref.size());
    if (max_n < 1) fail<ValueError>("corpus_bleu: max_n must be at least 1, got {}", max_n);
    std::vector<double> matched(std::size_t(max_n), 0), total(std::size_t(max_n), 0);
    double c_len = 0, r_len = 0;
    for (std::size_t s = 0; s < cand.size(); ++s) {
        c_len += double(cand[s].size());
        r_len += double(ref[s].size());
        for (int n = 1; n <= max_n; ++n) {
            std::map<std::vector<std::string>, int> rc, cc;
            for (std::size_t i = 0; i + std::size_t(n) <= ref[s].size(); ++i)
                ++rc[std::vector<std::string>(ref[s].begin() + long(i), ref[s].begin() + long(i) + n)];
            for (std::size_t i = 0; i + std::size_t(n) <= cand[s].size(); ++i)
                ++cc[std::vector<std::string>(cand[s].begin() + long(i), cand[s].begin() + long(i) + n)];
            for (const auto& [gram, count] : cc) {
                auto it = rc.find(gram);
                matched[std::size_t(n - 1)] += it == rc.end() ? 0 : std::min(count, it->second);  // clipped counts
                total[std::size_t(n - 1)] += count;
            }
        }
    }
    double log_p = 0;
    for (int n = 0; n < max_n; ++n) {
        if (matched[std::size_t(n)] == 0 || total[std::size_t(n)] == 0) return 0;
        log_p += std::log(matched[std::size_t(n)] / total[std::size_t(n)]) / max_n;
    }
    const double bp = c_len >= r_len ? 1 : std::exp(1 - r_len / std::max(c_len, 1.0));
    return bp * std::exp(log_p);
}

bool Span::operator<(const Span& o) const {
    return std::tie(begin, end, type) < std::tie(o.begin, o.end, o.type);
}

std::vector<Span> bio_spans(const std::vector<std::string>& tags) {
    std::vector<Span> spans;
    for (std::size_t t = 0; t < tags.size(); ++t) {
        const std::string& tag = tags[t];
        if (tag.size() < 2 || (tag[0] != 'B' && tag[0] != 'I') || tag[1] != '-') continue;  // O, or not a BIO tag
        const std::string type = tag.substr(2);
        const bool continues = tag[0] == 'I' && !spans.empty() && spans.back().end == t && spans.back().type == type;
        if (continues) ++spans.back().end;
        else spans.push_back({t, t + 1, type});
    }
    return spans;
}

double SpanScore::f1() const {
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

void SpanScore::add(const std::vector<std::string>& gold_tags, const std::vector<std::string>& predicted_tags) {
    if (gold_tags.size() != predicted_tags.size())
        fail<ValueError>("SpanScore::add: {} gold tags but {} predicted", gold_tags.size(), predicted_tags.size());
    std::vector<Span> g = bio_spans(gold_tags), p = bio_spans(predicted_tags);
    gold += g.size();
    predicted += p.size();
    std::sort(g.begin(), g.end());
    std::sort(p.begin(), p.end());
    std::vector<Span> both;
    std::set_intersection(g.begin(), g.end(), p.begin(), p.end(), std::back_inserter(both));
    correct += both.size();
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
