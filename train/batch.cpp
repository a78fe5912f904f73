// SPDX-License-Identifier: MIT
#include "batch.hpp"

#include <algorithm>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

PaddedBatch pad_batch(const std::vector<std::vector<Index>>& seqs, Index pad) {
    if (seqs.empty()) fail<ValueError>("pad_batch: no sequences given");
    std::size_t T = 0;
    for (std::size_t b = 0; b < seqs.size(); ++b) {
        if (seqs[b].empty()) fail<ValueError>("pad_batch: sequence {} is empty", b);
        T = std::max(T, seqs[b].size());
    }
    PaddedBatch out;
    out.ids = IndexArray::from_shape({T, seqs.size()});
    out.ids.fill(pad);
    for (std::size_t b = 0; b < seqs.size(); ++b) {
        out.lengths.push_back(seqs[b].size());
        for (std::size_t t = 0; t < seqs[b].size(); ++t) out.ids(t, b) = seqs[b][t];
    }
    return out;
}

Tensor PaddedBatch::mask() const {
    const std::size_t B = batch(), T = time();
    Array m(Shape{B, T}, real(0));
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t t = 0; t < lengths[b]; ++t) m(b, t) = 1;
    return Tensor(std::move(m));
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
