// SPDX-License-Identifier: MIT
#include "random.hpp"

#include <cmath>
#include <sstream>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Per thread, like grad mode: a generator's engine is not safe to share, and
// two threads initialising models at once would race on it. Every thread's
// starts from the same seed.
Generator& default_generator() {
    thread_local Generator g(5489);
    return g;
}

namespace {
constexpr std::size_t kWords = std::mt19937_64::state_size + 1;  // the state, then the position in it
}

Array Generator::state() const {
    // The standard's text form is the one portable way to read the state.
    std::ostringstream text;
    text << engine_;
    std::istringstream words(text.str());
    Array a = Array::from_shape({kWords, 4});
    for (std::size_t i = 0; i < kWords; ++i) {
        std::uint64_t w = 0;
        words >> w;
        for (std::size_t k = 0; k < 4; ++k) a(i, k) = static_cast<real>((w >> (16 * k)) & 0xffff);
    }
    return a;
}

Generator Generator::from_state(const Array& a, const std::string& what) {
    if (a.shape() != Shape{kWords, 4})
        fail<ValueError>("{}: a generator state has shape [{}, 4], this one {}", what, kWords, shape_str(a.shape()));
    std::string text;
    for (std::size_t i = 0; i < kWords; ++i) {
        std::uint64_t w = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const real piece = a(i, k);
            if (!(piece >= 0 && piece <= 0xffff) || piece != std::floor(piece))
                fail<ValueError>("{}: element ({}, {}) of the generator state is {}, not a 16-bit piece", what, i, k,
                                 piece);
            w |= static_cast<std::uint64_t>(piece) << (16 * k);
        }
        // the position indexes the state: past its end the engine would read beyond it
        if (i + 1 == kWords && w > std::mt19937_64::state_size)
            fail<ValueError>("{}: the generator state's position {} is past its {} words", what, w,
                             std::mt19937_64::state_size);
        text += std::to_string(w) + ' ';
    }
    Generator g;
    std::istringstream in(text);
    in >> g.engine_;
    if (!in) fail<ValueError>("{}: not a generator state", what);
    return g;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

Tensor randn(const Shape& shape, Generator& gen, bool requires_grad) {
    checked_size("randn", shape);
    Array a = Array::from_shape(shape);
    for (auto& v : a) v = gen.normal();
    return Tensor(std::move(a), requires_grad);
}

Tensor rand_uniform(const Shape& shape, real lo, real hi, Generator& gen, bool requires_grad) {
    checked_size("rand_uniform", shape);
    Array a = Array::from_shape(shape);
    for (auto& v : a) v = gen.uniform(lo, hi);
    return Tensor(std::move(a), requires_grad);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
