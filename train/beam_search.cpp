// SPDX-License-Identifier: MIT
#include "beam_search.hpp"

#include <algorithm>
#include <cmath>

#include "../autograd/error.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

std::vector<Hypothesis> beam_search(const DecoderStep& step, std::size_t width, std::size_t max_len, Index bos,
                                    Index eos, double alpha) {
    if (width == 0) fail<ValueError>("beam_search: width must be at least 1");
    std::vector<Hypothesis> live(1), done;
    std::vector<std::size_t> parents{0};
    std::vector<Index> last{bos};
    auto normalised = [alpha](double lp, std::size_t len) {
        return lp / std::pow(double(std::max<std::size_t>(len, 1)), alpha);
    };
    for (std::size_t t = 0; t < max_len && !live.empty(); ++t) {
        const Array logp = step(parents, last);
        const std::size_t K = live.size(), V = logp.shape()[1];
        struct Cand {
            double lp;
            std::size_t beam;
            Index token;
        };
        std::vector<Cand> cands;
        for (std::size_t k = 0; k < K; ++k)
            for (std::size_t v = 0; v < V; ++v)
                cands.push_back({live[k].log_prob + double(logp(k, v)), k, static_cast<Index>(v)});
        const std::size_t keep = std::min(cands.size(), 2 * width);
        std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(keep), cands.end(),
                          [](const Cand& a, const Cand& b) { return a.lp > b.lp; });
        std::vector<Hypothesis> next;
        parents.clear();
        last.clear();
        for (std::size_t i = 0; i < keep && next.size() < width; ++i) {
            const Cand& c = cands[i];
            Hypothesis h = live[c.beam];
            h.log_prob = c.lp;
            h.parents.push_back(c.beam);
            if (c.token == eos || t + 1 == max_len) {
                if (c.token != eos) h.tokens.push_back(c.token);
                h.score = normalised(h.log_prob, h.tokens.size() + 1);
                done.push_back(std::move(h));
                continue;
            }
            h.tokens.push_back(c.token);
            parents.push_back(c.beam);
            last.push_back(c.token);
            next.push_back(std::move(h));
        }
        live = std::move(next);
        // Stop when no live hypothesis can still beat the worst kept finished one.
        if (done.size() >= width) {
            std::sort(done.begin(), done.end(), [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
            done.resize(width);
            double best_live = -1e300;
            for (const auto& h : live) best_live = std::max(best_live, h.log_prob);
            if (alpha == 0 && best_live <= done.back().score) break;  // log-probs only fall
        }
    }
    std::sort(done.begin(), done.end(), [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    if (done.size() > width) done.resize(width);
    return done;
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
