// SPDX-License-Identifier: MIT
#pragma once
// Central-difference gradient check, for anyone writing a new op or cell:
//
//   auto r = gradcheck([&](const std::vector<Tensor>& in) { return my_cell(in[0], in[1]); }, {x, h});
//   REQUIRE(r.ok);   // r.report says which element disagrees, and by how much
//
// The output may have any shape: it is reduced to L = sum(out * R) with a
// fixed random R, so every output element is checked. Link against
// tapegrad::tapegrad_f64 for tight double-precision checks; in float the
// default tolerances are looser.

#include <functional>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

struct GradcheckOptions {
    double eps = sizeof(real) == 8 ? 1e-6 : 1e-2;   // perturbation
    double atol = sizeof(real) == 8 ? 1e-7 : 1e-3;  // |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = sizeof(real) == 8 ? 1e-5 : 2e-2;
    std::uint64_t seed = 1234;  // for the projection R
};

struct GradcheckResult {
    bool ok = true;
    double max_abs_error = 0;
    std::size_t checked = 0;  // number of input elements compared
    std::string report;       // the first disagreements, human readable
    explicit operator bool() const { return ok; }
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks d(out)/d(input) for every input that requires grad. Inputs must be
// leaves; their accumulated gradients are cleared.
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
