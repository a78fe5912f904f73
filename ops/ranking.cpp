// SPDX-License-Identifier: MIT
#include "ranking.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// x seen as [outer, n, inner] around `axis`.
struct Lanes {
    std::size_t outer = 1, n = 1, inner = 1, axis = 0;
};
Lanes lanes(const char* op, const Tensor& x, std::ptrdiff_t axis) {
    if (x.dim() == 0) fail<ValueError>("{}: needs an axis to choose along, got a 0-D tensor", op);
    Lanes l;
    l.axis = normalize_axis(op, axis, x.dim());
    for (std::size_t i = 0; i < l.axis; ++i) l.outer *= x.shape()[i];
    l.n = x.shape()[l.axis];
    for (std::size_t i = l.axis + 1; i < x.dim(); ++i) l.inner *= x.shape()[i];
    return l;
}
// a > b, with NaN above everything (so that a NaN is never hidden)
bool above(real a, real b) { return (std::isnan(a) && !std::isnan(b)) || a > b; }
}  // namespace

Ids argmax(const Tensor& x, std::ptrdiff_t axis) {
    const Lanes l = lanes("argmax", x, axis);
    if (l.n == 0) fail<ValueError>("argmax: axis {} of shape {} is empty", l.axis, shape_str(x.shape()));
    Shape out = x.shape();
    out.erase(out.begin() + std::ptrdiff_t(l.axis));
    Ids ids = Ids::zeros(out);
    const real* v = x.data();
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            const real* lane = v + o * l.n * l.inner + i;
            std::size_t best = 0;
            for (std::size_t j = 1; j < l.n; ++j)
                if (above(lane[j * l.inner], lane[best * l.inner])) best = j;
            ids.data()[o * l.inner + i] = Index(best);
        }
    return ids;
}

TopK topk(const Tensor& x, std::size_t k, std::ptrdiff_t axis) {
    const Lanes l = lanes("topk", x, axis);
    if (k == 0 || k > l.n)
        fail<ValueError>("topk: k = {} is outside [1, {}] (axis {} of shape {})", k, l.n, l.axis, shape_str(x.shape()));
    Shape out = x.shape();
    out[l.axis] = k;
    Array values = Array::from_shape(out);
    Ids ids = Ids::zeros(out);
    std::vector<std::size_t> order(l.n);
    const real* v = x.data();
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t i = 0; i < l.inner; ++i) {
            const real* lane = v + o * l.n * l.inner + i;
            std::iota(order.begin(), order.end(), std::size_t(0));
            std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(k), order.end(),
                              [&](std::size_t a, std::size_t b) {
                                  const real va = lane[a * l.inner], vb = lane[b * l.inner];
                                  return above(va, vb) || (!above(vb, va) && a < b);
                              });
            for (std::size_t j = 0; j < k; ++j) {
                const std::size_t at = o * k * l.inner + j * l.inner + i;
                values.data()[at] = lane[order[j] * l.inner];
                ids.data()[at] = Index(order[j]);
            }
        }
    return {Tensor(std::move(values)), std::move(ids)};
}

Ids multinomial(const Tensor& probabilities, std::size_t samples, Generator& gen) {
    const Lanes l = lanes("multinomial", probabilities, -1);
    if (samples == 0) fail<ValueError>("multinomial: 0 samples asked for");
    Shape out = probabilities.shape();
    out.back() = samples;
    Ids ids = Ids::zeros(out);
    const real* p = probabilities.data();
    std::vector<double> cumulative(l.n);
    for (std::size_t o = 0; o < l.outer; ++o) {
        const real* row = p + o * l.n;
        double total = 0;
        for (std::size_t c = 0; c < l.n; ++c) {
            if (!(row[c] >= 0) || !std::isfinite(row[c]))
                fail<ValueError>("multinomial: row {} has weight {} at {}: weights must be finite and >= 0", o, row[c], c);
            cumulative[c] = total += double(row[c]);
        }
        if (!(total > 0)) fail<ValueError>("multinomial: row {} of shape {} has no weight to draw from", o, shape_str(probabilities.shape()));
        for (std::size_t s = 0; s < samples; ++s) {
            // u in [0, total): the first bucket whose cumulative weight exceeds it
            const double u = double(gen.next() >> 11) * (1.0 / 9007199254740992.0) * total;
            std::size_t c = std::size_t(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
            c = std::min(c, l.n - 1);
            while (row[c] == 0 && c > 0) --c;  // rounding at a bucket edge never lands on a zero weight
            ids.data()[o * samples + s] = Index(c);
        }
    }
    return ids;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
