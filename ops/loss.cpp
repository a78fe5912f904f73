// SPDX-License-Identifier: MIT
#include "loss.hpp"

#include <algorithm>
#include <cmath>

#include "../speed/parallel.hpp"
#include "../autograd/record.hpp"
#include "vecmath.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// L_n = -log softmax(z_n)[t_n]  =>  dz_n = (softmax(z_n) - onehot(t_n)) * dL_n
Tensor cross_entropy(const Tensor& logits, const IndexArray& targets, Index ignore_index, Reduction reduction) {
    const Shape& s = logits.shape();
    if (s.empty()) fail("cross_entropy: logits must have a class axis, got shape []");
    const Shape expect(s.begin(), s.end() - 1);
    if (Shape(targets.shape().begin(), targets.shape().end()) != expect)
        fail("cross_entropy: targets of shape {} do not match logits of shape {} (expected targets {})",
             shape_str(Shape(targets.shape().begin(), targets.shape().end())), shape_str(s), shape_str(expect));
    const std::size_t C = s.back();
    if (C == 0) fail<ValueError>("cross_entropy: logits of shape {} have no classes (the class axis is empty)", shape_str(s));
    const std::size_t N = targets.size();
    std::size_t valid = 0;
    for (std::size_t k = 0; k < N; ++k) {
        const Index t = targets.data()[k];
        if (t == ignore_index) continue;
        if (t < 0 || static_cast<std::size_t>(t) >= C)
            fail<ValueError>("cross_entropy: target {} at position {} is out of range for {} classes", t, k, C);
        ++valid;
    }

    // Softmax probabilities are kept for backward; the loss uses log-sum-exp.
    // Rows are independent: shared among the threads, each row's sums in a
    // fixed order, so the loss does not depend on the thread count.
    Array prob = Array::from_shape(s);
    Array per(expect, real(0));
    const real* z = logits.data();
    parallel_for(N, rows_per_grain(8 * C), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k) {
            const real* zk = z + k * C;
            real* pk = prob.data() + k * C;
            const ExpRow e = vec_exp_row(zk, pk, C);  // exp(z - m), vectorised
            const real log_sum = std::log(e.sum);     // log-sum-exp minus m, kept apart from m for precision
            const real inv = real(1) / e.sum;
            for (std::size_t c = 0; c < C; ++c) pk[c] *= inv;
            const Index t = targets.data()[k];
            if (t != ignore_index) per.data()[k] = log_sum - (zk[t] - e.max);
        }
    });

    Array out;
    real scale = 1;  // dL/dL_n for the reductions
    if (reduction == Reduction::None) {
        out = per;
    } else {
        double total = 0;
        for (std::size_t k = 0; k < N; ++k) total += per.data()[k];
        if (reduction == Reduction::Mean) scale = valid ? real(1) / real(valid) : real(0);
        out = Array(static_cast<real>(total * scale));
    }
    return record("cross_entropy", std::move(out), {unread(logits)},
                  [prob = std::move(prob), targets, ignore_index, reduction, scale, C](TensorImpl& y) {
                      real* dz = grad_into(*y.inputs[0], true).data;
                      const real* p = prob.data();
                      for (std::size_t k = 0; k < targets.size(); ++k) {
                          const Index t = targets.data()[k];
                          if (t == ignore_index) continue;
                          const real g = reduction == Reduction::None ? y.grad.data()[k] : y.grad.data()[0] * scale;
                          for (std::size_t c = 0; c < C; ++c) dz[k * C + c] += g * p[k * C + c];
                          dz[k * C + static_cast<std::size_t>(t)] -= g;
                      }
                  }, Output::unread);
}

// L = mean((a-b)^2)  =>  da = 2 (a-b) / n * dL,  db = -da
Tensor mse(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape())
        fail("mse: shapes {} and {} differ", shape_str(a.shape()), shape_str(b.shape()));
    const std::size_t n = a.numel();
    double acc = 0;
    const real *ad = a.data(), *bd = b.data();
    for (std::size_t k = 0; k < n; ++k) {
        const double d = double(ad[k]) - double(bd[k]);
        acc += d * d;
    }
    return record("mse", Array(static_cast<real>(n ? acc / double(n) : 0.0)), {a, b}, [n](TensorImpl& y) {
        auto& a = *y.inputs[0];
        auto& b = *y.inputs[1];
        const real k = n ? real(2) * y.grad.data()[0] / real(n) : real(0);
        if (a.requires_grad) accumulate(a, k * (a.value - b.value));
        if (b.requires_grad) accumulate(b, -k * (a.value - b.value));
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
