#pragma once
// fused: your own elementwise op, one pass forward and one pass backward,
// with no derivative to write.
//
//   Tensor c = fused("lstm_c", [](auto i, auto f, auto g, auto c) {
//       return sigmoid(f) * c + sigmoid(i) * tanh(g);
//   }, gates_i, gates_f, gates_g, c_prev);
//
// y[k] = f(x1[k], ..., xn[k]) over inputs of one shape. Written as ops, the
// line above is seven tape nodes, each writing a fresh buffer forward and
// another backward; fused, it is one node that reads its inputs once and
// writes its output once, as the built-in cells' gate ops do.
//
// The gradient comes from f itself. Backward calls f again on dual numbers
// (forward-mode differentiation): input j carries the tangent e_j, so the
// result carries dy/dx_j for every j at once, and dx_j += dy * dy/dx_j.
// The chain rule for each function below sits next to its value.
//
// Inside f: + - * / between arguments and numbers, unary -, and sigmoid,
// tanh, exp, log, sqrt, relu (found by argument-dependent lookup: no
// qualification needed). f is instantiated for SIMD batches and for single
// numbers (the tail), so it must be a generic lambda with no branches on
// values; for a choice, use relu or write it as arithmetic.
//
// This header brings in xsimd, so it is not part of <tapegrad.hpp>: include
// <ops/fused.hpp> where you define a cell.

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../autograd/parallel.hpp"
#include "../autograd/tape.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// GCC 12 warns falsely inside its own AVX-512 intrinsics when xsimd inlines them.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace fusion {

// A value of type V (a SIMD batch or one real) with N tangents. N = 0 in
// forward: then it is the value alone, and costs what plain arithmetic does.
template <class V, std::size_t N>
struct Dual {
    V v;
    std::array<V, N> d;
};

template <class V, std::size_t N>
Dual<V, N> constant(V v) {
    Dual<V, N> r{v, {}};
    for (auto& t : r.d) t = V(real(0));
    return r;
}

template <class S>
constexpr bool is_number = std::is_arithmetic_v<S>;

// ---- arithmetic: value, and the tangents by the sum, product and quotient rules
template <class V, std::size_t N>
Dual<V, N> operator+(const Dual<V, N>& a, const Dual<V, N>& b) {
    Dual<V, N> r{a.v + b.v, {}};
    for (std::size_t j = 0; j < N; ++j) r.d[j] = a.d[j] + b.d[j];
    return r;
}
template <class V, std::size_t N>
Dual<V, N> operator-(const Dual<V, N>& a, const Dual<V, N>& b) {
    Dual<V, N> r{a.v - b.v, {}};
    for (std::size_t j = 0; j < N; ++j) r.d[j] = a.d[j] - b.d[j];
    return r;
}
template <class V, std::size_t N>
Dual<V, N> operator*(const Dual<V, N>& a, const Dual<V, N>& b) {  // (ab)' = a'b + ab'
    Dual<V, N> r{a.v * b.v, {}};
    for (std::size_t j = 0; j < N; ++j) r.d[j] = a.d[j] * b.v + a.v * b.d[j];
    return r;
}
template <class V, std::size_t N>
Dual<V, N> operator/(const Dual<V, N>& a, const Dual<V, N>& b) {  // (a/b)' = (a' - (a/b) b') / b
    const V inv = V(real(1)) / b.v;
    Dual<V, N> r{a.v * inv, {}};
    for (std::size_t j = 0; j < N; ++j) r.d[j] = (a.d[j] - r.v * b.d[j]) * inv;
    return r;
}
template <class V, std::size_t N>
Dual<V, N> operator-(const Dual<V, N>& a) {
    Dual<V, N> r{-a.v, {}};
    for (std::size_t j = 0; j < N; ++j) r.d[j] = -a.d[j];
    return r;
}
// with plain numbers, which have no tangent
template <class V, std::size_t N, class S, class = std::enable_if_t<is_number<S>>>
Dual<V, N> operator+(const Dual<V, N>& a, S s) {
    return a + constant<V, N>(V(real(s)));
}
template <class V, std::size_t N, class S, class = std::enable_if_t<is_number<S>>>
Dual<V, N> operator+(S s, const Dual<V, N>& a) {
    return constant<V, N>(V(real(s))) + a;
}
template <class V, std::size_t N, class S, class = std::enable_if_t<is_number<S>>>
Dual<V, N> operator-(const Dual<V, N>& a, S s) {
    return a - constant<V, N>(V(real(s)));
}
template <class V, std::size_t N, class S, class = std::enable_if_t<is_number<S>>>
Dual<V, N> operator-(S s, const Dual<V, N>& a) {
    return constant<V, N>(V(real(s))) - a;
}
template <class V, std::size_t N, class S, class = std::enable_if_t<is_number<S>>>
Dual<V, N> operator*(const Dual<V, N>& a, S s) {
    Dual<V, N> r{a.v * V(real(s)), {}};
    for (std::size_t j = 0; j < N; ++j) r.d[j] = a.d[j] * V(real(s));
    return r;
}
template <class V, std::size_t N, class S, class = std::enable_if_t<is_number<S>>>
Dual<V, N> operator*(S s, const Dual<V, N>& a) {
    return a * s;
}
template <class V, std::size_t N, class S, class = std::enable_if_t<is_number<S>>>
Dual<V, N> operator/(const Dual<V, N>& a, S s) {
    return a * (real(1) / real(s));
}
template <class V, std::size_t N, class S, class = std::enable_if_t<is_number<S>>>
Dual<V, N> operator/(S s, const Dual<V, N>& a) {
    return constant<V, N>(V(real(s))) / a;
}

// ---- functions: f(v), and the tangents times f'(v)
namespace detail {
inline real exp_of(real v) { return std::exp(v); }
inline real tanh_of(real v) { return std::tanh(v); }
inline real log_of(real v) { return std::log(v); }
inline real sqrt_of(real v) { return std::sqrt(v); }
inline real relu_of(real v) { return v > 0 ? v : real(0); }
inline real step_of(real v) { return v > 0 ? real(1) : real(0); }
template <class A>
xsimd::batch<real, A> exp_of(const xsimd::batch<real, A>& v) { return xsimd::exp(v); }
template <class A>
xsimd::batch<real, A> tanh_of(const xsimd::batch<real, A>& v) { return xsimd::tanh(v); }
template <class A>
xsimd::batch<real, A> log_of(const xsimd::batch<real, A>& v) { return xsimd::log(v); }
template <class A>
xsimd::batch<real, A> sqrt_of(const xsimd::batch<real, A>& v) { return xsimd::sqrt(v); }
template <class A>
xsimd::batch<real, A> relu_of(const xsimd::batch<real, A>& v) {
    return xsimd::max(v, xsimd::batch<real, A>(real(0)));
}
template <class A>
xsimd::batch<real, A> step_of(const xsimd::batch<real, A>& v) {
    using B = xsimd::batch<real, A>;
    return xsimd::select(v > B(real(0)), B(real(1)), B(real(0)));
}
template <class V, std::size_t N>
Dual<V, N> chain(V value, const Dual<V, N>& x, V derivative) {
    Dual<V, N> r{value, {}};
    for (std::size_t j = 0; j < N; ++j) r.d[j] = x.d[j] * derivative;
    return r;
}
}  // namespace detail

template <class V, std::size_t N>
Dual<V, N> sigmoid(const Dual<V, N>& x) {  // s' = s (1 - s)
    const V one(real(1));
    const V s = one / (one + detail::exp_of(-x.v));
    return detail::chain(s, x, s * (one - s));
}
template <class V, std::size_t N>
Dual<V, N> tanh(const Dual<V, N>& x) {  // t' = 1 - t^2
    const V t = detail::tanh_of(x.v);
    return detail::chain(t, x, V(real(1)) - t * t);
}
template <class V, std::size_t N>
Dual<V, N> exp(const Dual<V, N>& x) {  // e' = e
    const V e = detail::exp_of(x.v);
    return detail::chain(e, x, e);
}
template <class V, std::size_t N>
Dual<V, N> log(const Dual<V, N>& x) {  // log' = 1 / x
    return detail::chain(detail::log_of(x.v), x, V(real(1)) / x.v);
}
template <class V, std::size_t N>
Dual<V, N> sqrt(const Dual<V, N>& x) {  // sqrt' = 1 / (2 sqrt)
    const V r = detail::sqrt_of(x.v);
    return detail::chain(r, x, V(real(0.5)) / r);
}
template <class V, std::size_t N>
Dual<V, N> relu(const Dual<V, N>& x) {  // relu' = [x > 0]
    return detail::chain(detail::relu_of(x.v), x, detail::step_of(x.v));
}

// ---- the kernels
using Batch = xsimd::batch<real>;
constexpr std::size_t kWidth = Batch::size;

template <class V, std::size_t N>
Dual<V, N> seeded(V v, std::size_t j) {  // input j of N: tangent e_j
    Dual<V, N> r = constant<V, N>(v);
    r.d[j] = V(real(1));
    return r;
}
inline Batch load(const real* p) { return Batch::load_unaligned(p); }
inline real load1(const real* p) { return *p; }

template <class F, std::size_t... J>
void forward_range(const F& f, const std::array<const real*, sizeof...(J)>& x, real* y, std::size_t lo,
                   std::size_t hi, std::index_sequence<J...>) {
    std::size_t k = lo;
    for (; k + kWidth <= hi; k += kWidth) f(Dual<Batch, 0>{load(x[J] + k), {}}...).v.store_unaligned(y + k);
    for (; k < hi; ++k) y[k] = f(Dual<real, 0>{x[J][k], {}}...).v;
}

// dx_j (= or +=) dy * dy/dx_j. dx[j] is null where input j wants no
// gradient; add[j] says whether it already holds one.
template <class F, std::size_t... J>
void backward_range(const F& f, const std::array<const real*, sizeof...(J)>& x, const real* dy,
                    const std::array<real*, sizeof...(J)>& dx, const std::array<bool, sizeof...(J)>& add,
                    std::size_t lo, std::size_t hi, std::index_sequence<J...>) {
    constexpr std::size_t n = sizeof...(J);
    std::size_t k = lo;
    for (; k + kWidth <= hi; k += kWidth) {
        const auto r = f(seeded<Batch, n>(load(x[J] + k), J)...);
        const Batch g = load(dy + k);
        for (std::size_t j = 0; j < n; ++j) {
            if (!dx[j]) continue;
            const Batch v = add[j] ? load(dx[j] + k) + g * r.d[j] : g * r.d[j];
            v.store_unaligned(dx[j] + k);
        }
    }
    for (; k < hi; ++k) {
        const auto r = f(seeded<real, n>(x[J][k], J)...);
        for (std::size_t j = 0; j < n; ++j)
            if (dx[j]) dx[j][k] = add[j] ? dx[j][k] + dy[k] * r.d[j] : dy[k] * r.d[j];
    }
}

// fn(lo, hi) over [0, n) shared among the threads in whole SIMD batches, so
// the same elements take the vector path (and the same rounding) whatever
// the thread count; `streams` buffers are read or written per element.
template <class Fn>
void for_blocks(std::size_t n, std::size_t streams, Fn&& fn) {
    const std::size_t blocks = (n + kWidth - 1) / kWidth;
    parallel_for(blocks, std::max<std::size_t>(1, kElementGrain / (kWidth * streams)),
                 [&](std::size_t b0, std::size_t b1) { fn(b0 * kWidth, std::min(n, b1 * kWidth)); });
}

[[noreturn]] void shape_mismatch(const char* op, const std::vector<Tensor>& inputs);

}  // namespace fusion

template <class F, class... Ts>
Tensor fused(const char* op, F f, const Ts&... inputs) {
    static_assert(sizeof...(Ts) >= 1, "fused: give at least one input tensor");
    static_assert((std::is_same_v<Ts, Tensor> && ...), "fused: the inputs must be Tensors");
    constexpr std::size_t n = sizeof...(Ts);
    using Seq = std::make_index_sequence<n>;
    const std::vector<Tensor> in{inputs...};
    for (const Tensor& t : in)
        if (!t.defined() || t.shape() != in[0].shape()) fusion::shape_mismatch(op, in);
    Array y = Array::from_shape(in[0].shape());
    const std::array<const real*, n> x{inputs.data()...};
    real* yd = y.data();
    fusion::for_blocks(y.size(), 1, [&](std::size_t lo, std::size_t hi) { fusion::forward_range(f, x, yd, lo, hi, Seq{}); });
    return record(op, std::move(y), in, [f](TensorImpl& y) {
        std::array<const real*, n> xs{};
        std::array<real*, n> dx{};
        std::array<bool, n> add{};
        for (std::size_t j = 0; j < n; ++j) {
            TensorImpl& X = *y.inputs[j];
            xs[j] = X.value.data();
            if (!X.requires_grad) continue;
            // A tensor given twice gets its second share added to its first.
            add[j] = grad_beta(X) != 0;
            dx[j] = X.grad.data();
        }
        const real* dy = y.grad.data();
        fusion::for_blocks(y.grad.size(), n + 1, [&](std::size_t lo, std::size_t hi) {
            fusion::backward_range(f, xs, dy, dx, add, lo, hi, Seq{});
        });
    });
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
