// SPDX-License-Identifier: MIT
#pragma once
// A tensor seen along one axis as [outer, n, inner]: a lane is one (o, i)
// pair, its n elements `inner` apart. For the ops that work lane by lane
// (softmax, the scans).

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

struct Lanes {
    std::size_t outer = 1, n = 1, inner = 1;
    std::size_t start(std::size_t o, std::size_t i) const { return o * n * inner + i; }
};

inline Lanes lanes(const char* op, const Tensor& x, std::ptrdiff_t axis) {
    const std::size_t a = normalize_axis(op, axis, x.dim());
    Lanes l;
    for (std::size_t i = 0; i < a; ++i) l.outer *= x.shape()[i];
    l.n = x.shape()[a];
    for (std::size_t i = a + 1; i < x.dim(); ++i) l.inner *= x.shape()[i];
    return l;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
