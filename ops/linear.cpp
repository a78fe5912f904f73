// SPDX-License-Identifier: MIT
// Y = X W^T + b  =>  dX = G W,  dW = G^T X,  db = sum of G over rows.
//
// Two speed layers serve it: the forward product of a batch-sized X may use
// a transposed copy of W (speed/transposed_weight.hpp), and a leaf W's dW
// may be staged to one GEMM at the walk's end (speed/staged_gemm.hpp).
#include "linear.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "../autograd/record.hpp"
#include "../speed/parallel.hpp"
#include "../speed/staged_gemm.hpp"
#include "../speed/transposed_weight.hpp"
#include "gemm.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// db += the column sums of G [rows, out]. Each thread sums a block of columns
// over all rows in row order, so the result does not depend on the thread
// count.
void add_column_sums(const real* G, std::size_t rows, std::size_t out, real* db) {
    parallel_for(out, std::max<std::size_t>(16, kElementGrain / std::max<std::size_t>(rows, 1)),
                 [&](std::size_t lo, std::size_t hi) {
                     for (std::size_t r = 0; r < rows; ++r)
                         for (std::size_t o = lo; o < hi; ++o) db[o] += G[r * out + o];
                 });
}

// y = x W^T + b; b may be undefined.
Tensor affine(const Tensor& x, const Tensor& W, const Tensor& b) {
    if (W.dim() != 2) fail("linear: weight must be [out, in], got {}", shape_str(W.shape()));
    if (x.dim() == 0 || x.shape().back() != W.shape()[1])
        fail("linear: input {} does not end in the weight's in-features {} (weight {})", shape_str(x.shape()),
             W.shape()[1], shape_str(W.shape()));
    const bool has_bias = b.defined();
    if (has_bias && (b.dim() != 1 || b.shape()[0] != W.shape()[0]))
        fail("linear: bias {} does not match the weight's out-features {} (weight {})", shape_str(b.shape()),
             W.shape()[0], shape_str(W.shape()));
    const std::size_t in = W.shape()[1], out = W.shape()[0];
    const std::size_t rows = checked_size("linear", Shape(x.shape().begin(), x.shape().end() - 1));  // not numel / in: in may be 0
    Shape ys = x.shape();
    ys.back() = out;
    checked_size("linear", ys);
    Array y = Array::from_shape(ys);
    // The GEMM accumulates onto the bias rows.
    real* yd = y.data();
    if (has_bias && out > 0) {
        const real* bd = b.data();
        parallel_for(rows, rows_per_grain(out), [&](std::size_t lo, std::size_t hi) {
            for (std::size_t r = lo; r < hi; ++r) std::memcpy(yd + r * out, bd, out * sizeof(real));
        });
    }
    const std::shared_ptr<const Array> wt = transposed_weight::of(W, rows, needs_record({&x, &W, &b}));
    if (wt)
        gemm(false, false, rows, out, in, 1, x.data(), in, wt->data(), out, has_bias ? 1 : 0, yd, out);
    else
        gemm(false, true, rows, out, in, 1, x.data(), in, W.data(), in, has_bias ? 1 : 0, yd, out);

    // inputs: x, W, then b where given; `wt` only rides along (see
    // transposed_weight), nothing reads it
    auto backward = [rows, in, out, has_bias, wt](TensorImpl& y) {
        TensorImpl& X = *y.inputs[0];
        const ImplPtr& W = y.inputs[1];
        static const ImplPtr kNone;
        const ImplPtr& B = has_bias ? y.inputs[2] : kNone;  // a reference: no refcount traffic per step
        const real* g = y.grad.data();
        if (X.requires_grad) {  // dX = G W
            const GradBuffer dx = grad_into(X);
            gemm(false, false, rows, in, out, 1, g, out, W->value.data(), in, dx.beta, dx.data, in);
        }
        // dW = G^T X, db = column sums of G: now, or staged to the walk's end
        // (with a leaf bias only: a computed one needs its gradient before
        // the walk reaches its node)
        if (staged::stage(g, X.value.data(), W, B, rows, in, out, /*in_out=*/false)) return;
        if (W->requires_grad) {
            const GradBuffer dW = grad_into(*W);
            gemm(true, false, out, in, rows, 1, g, out, X.value.data(), in, dW.beta, dW.data, in);
        }
        if (B && B->requires_grad) add_column_sums(g, rows, out, grad_into(*B, true).data);
    };
    if (has_bias) return record("linear", std::move(y), {x, W, unread(b)}, backward, Output::unread);
    return record("linear", std::move(y), {x, W}, backward, Output::unread);
}

}  // namespace


Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b) { return affine(x, W, b); }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
