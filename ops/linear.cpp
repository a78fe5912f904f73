// Y = X W^T + b  =>  dX = G W,  dW = G^T X,  db = sum of G over rows.
#include "linear.hpp"

#include "../autograd/tape.hpp"
#include "gemm.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b) {
    if (W.dim() != 2) fail("linear: weight must be [out, in], got {}", shape_str(W.shape()));
    if (x.dim() == 0 || x.shape().back() != W.shape()[1])
        fail("linear: input {} does not end in the weight's in-features {} (weight {})", shape_str(x.shape()),
             W.shape()[1], shape_str(W.shape()));
    const bool has_bias = b.defined();
    if (has_bias && (b.dim() != 1 || b.shape()[0] != W.shape()[0]))
        fail("linear: bias {} does not match the weight's out-features {} (weight {})", shape_str(b.shape()),
             W.shape()[0], shape_str(W.shape()));
    const std::size_t in = W.shape()[1], out = W.shape()[0], rows = x.numel() / in;
    Shape ys = x.shape();
    ys.back() = out;
    Array y = Array::from_shape(ys);
    if (has_bias)
        for (std::size_t r = 0; r < rows; ++r) std::copy(b.data(), b.data() + out, y.data() + r * out);
    gemm(false, true, rows, out, in, 1, x.data(), in, W.data(), in, has_bias ? 1 : 0, y.data(), out);

    auto backward = [rows, in, out](TensorImpl& y) {
        TensorImpl& X = *y.inputs[0];
        TensorImpl& W = *y.inputs[1];
        const real* g = y.grad.data();
        if (X.requires_grad) {  // grad_beta first: it may allocate X.grad
            const real beta = grad_beta(X);
            gemm(false, false, rows, in, out, 1, g, out, W.value.data(), in, beta, X.grad.data(), in);
        }
        if (W.requires_grad) {
            const real beta = grad_beta(W);
            gemm(true, false, out, in, rows, 1, g, out, X.value.data(), in, beta, W.grad.data(), in);
        }
        if (y.inputs.size() > 2 && y.inputs[2]->requires_grad) {
            real* db = grad_buffer(*y.inputs[2]).data();
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t o = 0; o < out; ++o) db[o] += g[r * out + o];
        }
    };
    if (has_bias) return record("linear", std::move(y), {x, W, b}, backward);
    return record("linear", std::move(y), {x, W}, backward);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
