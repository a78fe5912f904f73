// SPDX-License-Identifier: MIT
#pragma once
// y = x W^T + b, PyTorch's layout and default initialisation
// (uniform in +-1/sqrt(in_features) for weight and bias).

#include "module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

class Linear : public Module {
public:
    Linear(std::size_t in_features, std::size_t out_features, bool bias = true,
           Generator& gen = default_generator());
    Tensor forward(const Tensor& x) const;  // [..., in] -> [..., out]
    Tensor operator()(const Tensor& x) const { return forward(x); }

    Tensor weight;  // [out, in]
    Tensor bias;    // [out], undefined without bias
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
