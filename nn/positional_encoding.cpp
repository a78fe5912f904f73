// SPDX-License-Identifier: MIT
#include "positional_encoding.hpp"

#include <cmath>

#include "../ops/arithmetic.hpp"
#include "../ops/shape.hpp"
#include "init.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

namespace {
// x [T, B, E] + rows offset..offset+T of table [max_len, E], broadcast over B
Tensor add_positions(const char* who, const Tensor& x, const Tensor& table, std::size_t offset) {
    const std::size_t max_len = table.shape()[0], E = table.shape()[1];
    if (x.dim() != 3 || x.shape()[2] != E)
        fail<ShapeError>("{}: input {} is not [T, B, {}]", who, shape_str(x.shape()), E);
    const std::size_t T = x.shape()[0];
    if (offset + T > max_len)
        fail<ValueError>("{}: positions {}..{} are past max_len {}", who, offset, offset + T - 1, max_len);
    return x + reshape(slice(table, 0, offset, offset + T), T, 1, E);
}
}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(std::size_t E, std::size_t max_len) {
    Array pe = xt::zeros<real>({max_len, E});
    for (std::size_t t = 0; t < max_len; ++t)
        for (std::size_t i = 0; i < E; i += 2) {
            const double angle = double(t) / std::pow(10000.0, double(i) / double(E));
            pe(t, i) = real(std::sin(angle));
            if (i + 1 < E) pe(t, i + 1) = real(std::cos(angle));
        }
    table = Tensor(std::move(pe));
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x, std::size_t offset) const {
    return add_positions("SinusoidalPositionalEncoding", x, table, offset);
}

LearnedPositionalEncoding::LearnedPositionalEncoding(std::size_t max_len, std::size_t E, Generator& gen) {
    weight = Tensor::zeros(make_shape({max_len, E}));
    init::normal_(weight, 0, real(0.02), gen);
    register_parameter("weight", weight);
}

Tensor LearnedPositionalEncoding::forward(const Tensor& x, std::size_t offset) const {
    return add_positions("LearnedPositionalEncoding", x, weight, offset);
}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
