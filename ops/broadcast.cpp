// SPDX-License-Identifier: MIT
#include "broadcast.hpp"

#include <xtensor/xreducer.hpp>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
    if (a == b) return a;
    const std::size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (std::size_t i = 0; i < n; ++i) {
        // align from the right, missing dims count as 1
        const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
        const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
        if (da != db && da != 1 && db != 1)
            fail("{}: shapes {} and {} cannot be broadcast together (axis {}: {} vs {})", op, shape_str(a),
                 shape_str(b), i, da, db);
        out[i] = da == 1 ? db : da;
    }
    checked_size(op, out);
    return out;
}

Array sum_to(Array g, const Shape& shape) {
    if (g.shape() == shape) return g;
    const std::size_t lead = g.dimension() - shape.size();
    std::vector<std::size_t> axes;
    for (std::size_t i = 0; i < g.dimension(); ++i)
        if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) axes.push_back(i);
    Array r = xt::sum(g, axes, xt::evaluation_strategy::immediate);
    r.reshape(shape);
    return r;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
