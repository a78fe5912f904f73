// SPDX-License-Identifier: MIT
#include "layer_norm.hpp"

#include "../ops/norm.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

LayerNorm::LayerNorm(std::size_t size, real e, bool affine) : eps(e) {
    if (affine) {
        weight = Tensor::ones(make_shape({size}));
        bias = Tensor::zeros(make_shape({size}));
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }
}

Tensor LayerNorm::forward(const Tensor& x) const { return layer_norm(x, weight, bias, eps); }

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
