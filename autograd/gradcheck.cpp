// SPDX-License-Identifier: MIT
#include "gradcheck.hpp"

#include <cmath>

#include "random.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// L = sum(out * R), evaluated in double.
double project(const Tensor& out, const Array& r) {
    double s = 0;
    for (std::size_t k = 0; k < out.numel(); ++k) s += double(out.data()[k]) * double(r.data()[k]);
    return s;
}
}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& o) {
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i].is_leaf())
            fail<GraphError>("gradcheck: input {} is the output of '{}'; pass leaf tensors", i, inputs[i].op_name());

    GradcheckResult res;
    Tensor out = f(inputs);
    Generator gen(o.seed);
    Array r = Array::from_shape(out.shape());
    for (auto& v : r) v = gen.uniform(real(0.5), real(1.5)) * (gen.bernoulli(0.5) ? 1 : -1);

    // Analytic: one backward of L = sum(out * R), i.e. seed R.
    for (Tensor t : inputs) t.zero_grad();
    if (out.requires_grad()) out.backward(r);

    int reported = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        Tensor x = inputs[i];
        if (!x.requires_grad()) continue;
        Array analytic = x.has_grad() ? x.grad() : Array(x.shape(), real(0));
        real* v = x.mutable_value().data();
        for (std::size_t k = 0; k < x.numel(); ++k) {
            const real saved = v[k];
            double lp, lm;
            {
                NoGradGuard ng;  // the perturbed passes need no tape
                v[k] = static_cast<real>(saved + o.eps);
                lp = project(f(inputs), r);
                v[k] = static_cast<real>(saved - o.eps);
                lm = project(f(inputs), r);
            }
            v[k] = saved;
            const double numeric = (lp - lm) / (2 * o.eps);
            const double a = analytic.data()[k];
            const double err = std::abs(a - numeric);
            res.max_abs_error = std::max(res.max_abs_error, err);
            ++res.checked;
            if (!(err <= o.atol + o.rtol * std::abs(numeric))) {  // also catches NaN
                res.ok = false;
                if (reported++ < 5)
                    res.report += fmt::format("input {} element {}: analytic {:.8g}, numeric {:.8g}, error {:.3g}\n", i,
                                              k, a, numeric, err);
            }
        }
        x.zero_grad();
    }
    if (!res.ok) res.report = fmt::format("gradcheck failed ({} of {} elements shown):\n", std::min(reported, 5), reported) + res.report;
    return res;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
