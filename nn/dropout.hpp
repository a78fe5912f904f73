// SPDX-License-Identifier: MIT
#pragma once
// Dropout as a module: active in train(), identity in eval().

#include "module.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

class Dropout : public Module {
public:
    explicit Dropout(real p, std::uint64_t seed = 0);
    Tensor forward(const Tensor& x);  // draws a new mask each call
    Tensor operator()(const Tensor& x) { return forward(x); }

    real p;
    Generator gen;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
