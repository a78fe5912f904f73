#include "clip.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace optim {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
    if (!(max_norm > 0)) fail<ValueError>("clip_grad_norm: max_norm {} must be positive", max_norm);
    double sq = 0;
    for (const Tensor& p : params)
        if (p.has_grad())
            for (real g : p.grad()) sq += double(g) * double(g);
    const double norm = std::sqrt(sq);
    if (norm > max_norm) {
        const real scale = static_cast<real>(max_norm / (norm + 1e-6));
        for (const Tensor& p : params)
            if (p.has_grad()) p.impl()->grad *= scale;
    }
    return norm;
}

void clip_grad_value(const std::vector<Tensor>& params, real limit) {
    if (!(limit > 0)) fail<ValueError>("clip_grad_value: limit {} must be positive", limit);
    for (const Tensor& p : params)
        if (p.has_grad())
            for (real& g : p.impl()->grad) g = std::clamp(g, -limit, limit);
}

}  // namespace optim
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
