#include "random.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Generator& default_generator() {
    static Generator g(5489);
    return g;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

Tensor randn(const Shape& shape, Generator& gen, bool requires_grad) {
    Array a = Array::from_shape(shape);
    for (auto& v : a) v = gen.normal();
    return Tensor(std::move(a), requires_grad);
}

Tensor rand_uniform(const Shape& shape, real lo, real hi, Generator& gen, bool requires_grad) {
    Array a = Array::from_shape(shape);
    for (auto& v : a) v = gen.uniform(lo, hi);
    return Tensor(std::move(a), requires_grad);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
