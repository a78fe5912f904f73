// SPDX-License-Identifier: MIT
#include "linear.hpp"

#include <cmath>

#include "../ops/linear.hpp"
#include "init.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

Linear::Linear(std::size_t in_features, std::size_t out_features, bool with_bias, Generator& gen) {
    if (in_features == 0 || out_features == 0)
        fail<ValueError>("Linear: sizes must be positive, got in_features={} out_features={}", in_features,
                         out_features);
    const real k = real(1) / std::sqrt(real(in_features));
    weight = Tensor::zeros(make_shape({out_features, in_features}));
    init::uniform_(weight, -k, k, gen);
    register_parameter("weight", weight);
    if (with_bias) {
        bias = Tensor::zeros(make_shape({out_features}));
        init::uniform_(bias, -k, k, gen);
        register_parameter("bias", bias);
    }
}

Tensor Linear::forward(const Tensor& x) const { return linear(x, weight, bias); }

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
