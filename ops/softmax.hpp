#pragma once
// Softmax and log-softmax along an axis, computed stably (max subtracted).

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor softmax(const Tensor& x, std::ptrdiff_t axis = -1);
Tensor log_softmax(const Tensor& x, std::ptrdiff_t axis = -1);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
