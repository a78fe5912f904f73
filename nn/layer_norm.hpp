// SPDX-License-Identifier: MIT
#pragma once
// nn.LayerNorm over the last axis: y = (x - mean) / sqrt(var + eps) * weight + bias
// (ops/norm.hpp). Parameters "weight" (ones) and "bias" (zeros), as PyTorch's.

#include "module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

class LayerNorm : public Module {
public:
    explicit LayerNorm(std::size_t size, real eps = real(1e-5), bool affine = true);
    Tensor forward(const Tensor& x) const;  // [..., size] -> [..., size]
    Tensor operator()(const Tensor& x) const { return forward(x); }

    Tensor weight, bias;  // [size]; undefined without affine
    real eps;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
