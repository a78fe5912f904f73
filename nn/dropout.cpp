// SPDX-License-Identifier: MIT
#include "dropout.hpp"

#include "../ops/dropout.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

Dropout::Dropout(real prob, std::uint64_t seed) : p(prob), gen(seed) {
    if (!(prob >= 0 && prob < 1)) fail<ValueError>("Dropout: probability {} is outside [0, 1)", prob);
    register_generator("generator", gen);
}

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), gen); }

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
