// SPDX-License-Identifier: MIT
#include "norm.hpp"

#include <cmath>
#include <algorithm>
#include <vector>

#include "../autograd/record.hpp"
#include "../speed/parallel.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// With x^ = (x - mu) r, r = 1 / sqrt(var + eps), y = x^ w + b, and per row
// of n values, g = dL/dy:
//   db = sum_rows g,   dw = sum_rows g x^,
//   dx = r (g w - mean(g w) - x^ mean(g w x^))
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, real eps) {
    if (x.dim() == 0) fail<ShapeError>("layer_norm: a 0-D tensor has no last axis to normalise");
    const std::size_t n = x.shape().back(), rows = n ? x.numel() / n : 0;
    for (const auto& [what, t] : {std::pair<const char*, const Tensor&>{"weight", weight}, {"bias", bias}})
        if (t.defined() && t.shape() != make_shape({n}))
            fail<ShapeError>("layer_norm: {} has shape {}, the normalised axis needs [{}] (input {})", what,
                             shape_str(t.shape()), n, shape_str(x.shape()));
    if (!(eps > 0)) fail<ValueError>("layer_norm: eps must be positive, not {}", eps);
    const bool has_w = weight.defined(), has_b = bias.defined();
    Array y = Array::from_shape(x.shape());
    auto stats = std::make_shared<std::vector<real>>(2 * rows);  // mean and 1/std of each row, for backward
    const real* xv = x.data();
    const real* wv = has_w ? weight.data() : nullptr;
    const real* bv = has_b ? bias.data() : nullptr;
    parallel_for(rows, std::max<std::size_t>(1, kElementGrain / std::max<std::size_t>(n, 1)), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t r = lo; r < hi; ++r) {
            const real* xr = xv + r * n;
            real* yr = y.data() + r * n;
            real mu = 0;
            for (std::size_t k = 0; k < n; ++k) mu += xr[k];
            mu /= real(n);
            real var = 0;
            for (std::size_t k = 0; k < n; ++k) var += (xr[k] - mu) * (xr[k] - mu);
            const real rstd = real(1) / std::sqrt(var / real(n) + eps);
            (*stats)[2 * r] = mu;
            (*stats)[2 * r + 1] = rstd;
            for (std::size_t k = 0; k < n; ++k) {
                const real h = (xr[k] - mu) * rstd;
                yr[k] = (has_w ? h * wv[k] : h) + (has_b ? bv[k] : real(0));
            }
        }
    });
    std::vector<Input> inputs{x};
    if (has_w) inputs.push_back(weight);
    if (has_b) inputs.push_back(unread(bias));
    return record("layer_norm", std::move(y), inputs, [stats, n, rows, has_w, has_b](TensorImpl& y) {
        const real* g = y.grad.data();
        const real* xv = y.inputs[0]->value.data();
        const real* wv = has_w ? y.inputs[1]->value.data() : nullptr;
        const bool want_x = wants_grad(y, 0), want_w = has_w && wants_grad(y, 1),
                   want_b = has_b && wants_grad(y, has_w ? 2 : 1);
        real* dx = want_x ? grad_into(*y.inputs[0], true).data : nullptr;
        // Rows in fixed blocks shared among the threads; each block sums its
        // own part of dw and db, and the parts are added in block order, so
        // the result does not depend on the number of threads.
        constexpr std::size_t kBlock = 64;
        const std::size_t blocks = (rows + kBlock - 1) / kBlock;
        std::vector<real> part_w(want_w ? blocks * n : 0, real(0)), part_b(want_b ? blocks * n : 0, real(0));
        parallel_for(blocks, 1, [&](std::size_t lo, std::size_t hi) {
            std::vector<real> gw(n);
            for (std::size_t blk = lo; blk < hi; ++blk) {
                real* pw = want_w ? part_w.data() + blk * n : nullptr;
                real* pb = want_b ? part_b.data() + blk * n : nullptr;
                for (std::size_t r = blk * kBlock; r < std::min(rows, (blk + 1) * kBlock); ++r) {
                    const real* gr = g + r * n;
                    const real* xr = xv + r * n;
                    const real mu = (*stats)[2 * r], rstd = (*stats)[2 * r + 1];
                    real mean_gw = 0, mean_gwx = 0;
                    for (std::size_t k = 0; k < n; ++k) {
                        const real h = (xr[k] - mu) * rstd;
                        gw[k] = has_w ? gr[k] * wv[k] : gr[k];
                        mean_gw += gw[k];
                        mean_gwx += gw[k] * h;
                        if (pw) pw[k] += gr[k] * h;
                        if (pb) pb[k] += gr[k];
                    }
                    mean_gw /= real(n);
                    mean_gwx /= real(n);
                    if (dx)
                        for (std::size_t k = 0; k < n; ++k) {
                            const real h = (xr[k] - mu) * rstd;
                            dx[r * n + k] += rstd * (gw[k] - mean_gw - h * mean_gwx);
                        }
                }
            }
        });
        Array dw = xt::zeros<real>({n}), db = xt::zeros<real>({n});
        for (std::size_t blk = 0; blk < blocks; ++blk)
            for (std::size_t k = 0; k < n; ++k) {
                if (want_w) dw(k) += part_w[blk * n + k];
                if (want_b) db(k) += part_b[blk * n + k];
            }
        if (want_w) accumulate(*y.inputs[1], std::move(dw));
        if (want_b) accumulate(*y.inputs[has_w ? 2 : 1], std::move(db));
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
