// SPDX-License-Identifier: MIT
#pragma once
// Shared test helpers: random inputs, tolerances per scalar flavour, the
// gradcheck assertion and the fixture reader.

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tapegrad_train.hpp>

namespace th {

// The layers linear and matmul use (transposed weights, staged weight
// GEMMs) on for a scope, whatever the defaults or the environment say.
struct LinearLayersOn {
    bool staged = tapegrad::staged::enabled(), transposed = tapegrad::transposed_weight::enabled();
    LinearLayersOn() {
        tapegrad::staged::set_enabled(true);
        tapegrad::transposed_weight::set_enabled(true);
    }
    ~LinearLayersOn() {
        tapegrad::staged::set_enabled(staged);
        tapegrad::transposed_weight::set_enabled(transposed);
    }
};

// Value release on for a scope, whatever the environment says (its own tests).
struct ValueReleaseOn {
    bool prev = tapegrad::value_release::enabled();
    ValueReleaseOn() { tapegrad::value_release::set_enabled(true); }
    ~ValueReleaseOn() { tapegrad::value_release::set_enabled(prev); }
};
using namespace tapegrad;

constexpr bool kDouble = sizeof(real) == 8;
// Forward values compared with references computed in double.
constexpr double kValueTol = kDouble ? 1e-10 : 2e-5;

inline Tensor rnd(const Shape& shape, std::uint64_t seed, real lo = -1, real hi = 1,
                  bool requires_grad = true) {
    Generator g(seed);
    return rand_uniform(shape, lo, hi, g, requires_grad);
}

// Values at least `margin` away from zero: for ops with a kink at 0.
inline Tensor rnd_away_from_zero(const Shape& shape, std::uint64_t seed, real margin = 0.1) {
    Tensor t = rnd(shape, seed);
    for (auto& v : t.mutable_value()) v = v < 0 ? v - margin : v + margin;
    return t;
}

#define CHECK_GRADS(f, ...)                                             \
    do {                                                                \
        auto gc_result_ = ::tapegrad::gradcheck((f), {__VA_ARGS__});    \
        INFO(gc_result_.report);                                        \
        CHECK(gc_result_.ok);                                           \
        CHECK(gc_result_.checked > 0);                                  \
    } while (0)

inline bool close(const Array& a, const Array& b, double tol) {
    if (a.shape() != b.shape()) return false;
    for (std::size_t k = 0; k < a.size(); ++k) {
        const double x = a.data()[k], y = b.data()[k];
        if (!(std::abs(x - y) <= tol * (1 + std::abs(y)))) return false;
    }
    return true;
}

// A fixture file written by tools/make_fixtures.py.
class Fixture {
public:
    explicit Fixture(const std::string& file) {
        const std::string path = std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/" + file;
        std::ifstream in(path);
        if (!in) FAIL("cannot open fixture " << path);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream ls(line);
            std::string name, shape_s;
            ls >> name >> shape_s;
            Shape shape;
            if (shape_s != "scalar") {
                std::istringstream ss(shape_s);
                std::string d;
                while (std::getline(ss, d, 'x')) shape.push_back(std::stoul(d));
            }
            std::vector<real> vals;
            double v;
            while (ls >> v) vals.push_back(static_cast<real>(v));
            arrays_[name] = Tensor::from(vals, shape).value();
        }
    }
    const Array& operator[](const std::string& name) const {
        auto it = arrays_.find(name);
        if (it == arrays_.end()) throw std::runtime_error("fixture has no array " + name);
        return it->second;
    }
    Tensor leaf(const std::string& name) const { return Tensor((*this)[name], true); }

private:
    std::map<std::string, Array> arrays_;
};

// Runs f and asserts that it throws E with a message containing every part.
template <class E, class F>
void require_throws_with(F&& f, std::initializer_list<const char*> parts) {
    try {
        f();
    } catch (const E& e) {
        const std::string msg = e.what();
        INFO("message: " << msg);
        for (const char* p : parts) CHECK(msg.find(p) != std::string::npos);
        return;
    } catch (const std::exception& e) {
        FAIL("threw a different exception: " << e.what());
    }
    FAIL("did not throw");
}

// How many nodes of root's graph satisfy pred(const TensorImpl&), each
// counted once (an iterative walk: the graphs of long sequences are deep).
template <class Pred>
std::size_t count_nodes(const Tensor& root, Pred pred) {
    root.resolve();  // a pending value's node exists once it is computed
    std::size_t n = 0;
    std::vector<const TensorImpl*> stack{root.impl()};
    std::set<const TensorImpl*> seen;
    while (!stack.empty()) {
        const TensorImpl* t = stack.back();
        stack.pop_back();
        if (!seen.insert(t).second) continue;
        n += pred(*t) ? 1 : 0;
        for (const auto& in : t->inputs) stack.push_back(in.get());
    }
    return n;
}

}  // namespace th
