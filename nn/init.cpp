// SPDX-License-Identifier: MIT
#include "init.hpp"

#include <cmath>
#include <vector>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn::init {

namespace {
std::pair<double, double> fans(const char* op, const Tensor& t) {
    if (t.dim() < 2) fail("{}: needs a tensor with at least 2 axes, got {}", op, shape_str(t.shape()));
    const double receptive = double(t.numel()) / double(t.shape()[0] * t.shape()[1]);
    return {double(t.shape()[1]) * receptive, double(t.shape()[0]) * receptive};
}
}  // namespace

void zeros_(Tensor& t) { constant_(t, 0); }
void constant_(Tensor& t, real value) { t.mutable_value().fill(value); }

void uniform_(Tensor& t, real lo, real hi, Generator& gen) {
    for (auto& v : t.mutable_value()) v = gen.uniform(lo, hi);
}

void normal_(Tensor& t, real mean, real stddev, Generator& gen) {
    for (auto& v : t.mutable_value()) v = gen.normal(mean, stddev);
}

void xavier_uniform_(Tensor& t, real gain, Generator& gen) {
    const auto [in, out] = fans("xavier_uniform_", t);
    const real a = static_cast<real>(gain * std::sqrt(6.0 / (in + out)));
    uniform_(t, -a, a, gen);
}

void xavier_normal_(Tensor& t, real gain, Generator& gen) {
    const auto [in, out] = fans("xavier_normal_", t);
    normal_(t, 0, static_cast<real>(gain * std::sqrt(2.0 / (in + out))), gen);
}

void orthogonal_(Tensor& t, real gain, Generator& gen) {
    if (t.dim() < 2) fail("orthogonal_: needs a tensor with at least 2 axes, got {}", shape_str(t.shape()));
    const std::size_t rows = t.shape()[0], cols = t.numel() / rows;
    // Orthonormalise the n = min(rows, cols) vectors of length m = max(...)
    // of a Gaussian matrix by modified Gram-Schmidt, in double.
    const bool tall = rows >= cols;
    const std::size_t m = tall ? rows : cols, n = tall ? cols : rows;
    std::vector<double> q(m * n);  // column j at q[j*m .. j*m + m)
    for (auto& v : q) v = gen.normal();
    for (std::size_t j = 0; j < n; ++j) {
        double* qj = q.data() + j * m;
        for (std::size_t k = 0; k < j; ++k) {
            const double* qk = q.data() + k * m;
            double dot = 0;
            for (std::size_t i = 0; i < m; ++i) dot += qk[i] * qj[i];
            for (std::size_t i = 0; i < m; ++i) qj[i] -= dot * qk[i];
        }
        double norm = 0;
        for (std::size_t i = 0; i < m; ++i) norm += qj[i] * qj[i];
        norm = std::sqrt(norm);
        for (std::size_t i = 0; i < m; ++i) qj[i] /= norm;
    }
    real* out = t.mutable_value().data();
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c)
            out[r * cols + c] = static_cast<real>(gain * (tall ? q[c * m + r] : q[r * m + c]));
}

}  // namespace nn::init
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
