// SPDX-License-Identifier: MIT
#include "clip.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

namespace {
// Sum of squares in double, over raw pointers in eight independent lanes:
// the compiler vectorises that (a single running sum it may not reorder).
double sum_squares(const real* g, std::size_t n) {
    double lane[8] = {};
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (std::size_t l = 0; l < 8; ++l) lane[l] += double(g[k + l]) * double(g[k + l]);
    for (; k < n; ++k) lane[0] += double(g[k]) * double(g[k]);
    double s = 0;
    for (double x : lane) s += x;
    return s;
}
}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
    if (!(max_norm > 0)) fail<ValueError>("clip_grad_norm: max_norm {} must be positive", max_norm);
    double sq = 0;
    for (const Tensor& p : params)
        if (p.has_grad()) sq += sum_squares(p.grad().data(), p.grad().size());
    const double norm = std::sqrt(sq);
    if (norm > max_norm) {
        const real scale = static_cast<real>(max_norm / (norm + 1e-6));
        for (const Tensor& p : params)
            if (p.has_grad()) {
                real* g = p.impl()->grad.data();
                const std::size_t n = p.impl()->grad.size();
                for (std::size_t k = 0; k < n; ++k) g[k] *= scale;
            }
    }
    return norm;
}

void clip_grad_value(const std::vector<Tensor>& params, real limit) {
    if (!(limit > 0)) fail<ValueError>("clip_grad_value: limit {} must be positive", limit);
    for (const Tensor& p : params)
        if (p.has_grad()) {
            real* g = p.impl()->grad.data();
            const std::size_t n = p.impl()->grad.size();
            for (std::size_t k = 0; k < n; ++k) g[k] = std::clamp(g[k], -limit, limit);
        }
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
