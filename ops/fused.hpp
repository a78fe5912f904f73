#pragma once
// fused: your own elementwise op, one pass forward and one pass backward,
// with no derivative to write.
//
//   Tensor c = fused("lstm_c", [](auto i, auto f, auto g, auto c) {
//       return sigmoid(f) * c + sigmoid(i) * tanh(g);
//   }, gates_i, gates_f, gates_g, c_prev);
//
// y[k] = f(x1[k], ..., xn[k]) over inputs of one shape. An input may also be
// block(t, k, n), the k-th of n equal blocks of t's last axis, read where it
// lies (an LSTM's four gates from one [B, 4H] tensor, without chunk's
// copies), or a [H] vector repeated for every row of [..., H] (a per-unit
// weight such as a peephole). Written as ops, the
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
// GCC 12 warns falsely inside its own AVX-512 intrinsics when xsimd inlines
// them (their _mm512_undefined_* pass-through operands).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <xsimd/xsimd.hpp>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Block k of n equal blocks of t's last axis, read and written in place: the
// gates of an LSTM step without chunk's four copies.
//   fused("c", f, block(gates, 0, 4), block(gates, 1, 4), ...)
struct Block {
    Tensor t;
    std::size_t k, n;
};
inline Block block(const Tensor& t, std::size_t k, std::size_t n) { return {t, k, n}; }

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
xsimd::batch<real, A> log_of(const xsimd::batch<real, A>& v) {
#if defined(__OPTIMIZE__) || defined(__clang__)
    return xsimd::log(v);
#else
    // Unoptimised GCC builds (Debug) make some AVX-512 intrinsics macros, and
    // xsimd's log does not compile through them: lane by lane instead.
    using B = xsimd::batch<real, A>;
    alignas(B::arch_type::alignment()) real lanes[B::size];
    v.store_aligned(lanes);
    for (real& x : lanes) x = std::log(x);
    return B::load_aligned(lanes);
#endif
}
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
// A template of the batch type, not a plain inline function returning Batch:
// translation units built for other vector widths then get functions of
// other names, not clashing definitions of one.
template <class B>
B load(const real* p) {
    return B::load_unaligned(p);
}

template <class F, std::size_t... J>
void forward_range(const F& f, const std::array<const real*, sizeof...(J)>& x, real* y, std::size_t lo,
                   std::size_t hi, std::index_sequence<J...>) {
    std::size_t k = lo;
    for (; k + kWidth <= hi; k += kWidth) f(Dual<Batch, 0>{load<Batch>(x[J] + k), {}}...).v.store_unaligned(y + k);
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
        const auto r = f(seeded<Batch, n>(load<Batch>(x[J] + k), J)...);
        const Batch g = load<Batch>(dy + k);
        for (std::size_t j = 0; j < n; ++j) {
            if (!dx[j]) continue;
            const Batch v = add[j] ? load<Batch>(dx[j] + k) + g * r.d[j] : g * r.d[j];
            v.store_unaligned(dx[j] + k);
        }
    }
    for (; k < hi; ++k) {
        const auto r = f(seeded<real, n>(x[J][k], J)...);
        for (std::size_t j = 0; j < n; ++j)
            if (dx[j]) dx[j][k] = add[j] ? dx[j][k] + dy[k] * r.d[j] : dy[k] * r.d[j];
    }
}

// Work per element, in units of a memory stream, below which a fused op is
// not worth a second thread: each element also costs the user's function --
// typically a transcendental or two -- so a batch of gates (32 x 128 at
// hidden 128) is split like the gate ops split theirs, one slab of rows per
// thread, which keeps each thread on the rows its GEMM slab wrote.
constexpr std::size_t kMinStreams = 4;

// fn(lo, hi) over [0, n) shared among the threads in whole SIMD batches, so
// the same elements take the vector path (and the same rounding) whatever
// the thread count; `streams` buffers are read or written per element.
template <class Fn>
void for_blocks(std::size_t n, std::size_t streams, Fn&& fn) {
    const std::size_t blocks = (n + kWidth - 1) / kWidth;
    parallel_for(blocks, std::max<std::size_t>(1, kElementGrain / (kWidth * streams)),
                 [&](std::size_t b0, std::size_t b1) { fn(b0 * kWidth, std::min(n, b1 * kWidth)); });
}

// Where an operand's elements are: row r, column c at base + r * stride +
// offset + c. A whole tensor is one flat run; a block is a column range of
// every row.
struct Part {
    const Tensor* t;
    std::size_t k = 0, n = 1;
    bool is_block = false;
};
inline Part part_of(const Tensor& t) { return {&t, 0, 1, false}; }
inline Part part_of(const Block& b) { return {&b.t, b.k, b.n, true}; }

template <std::size_t N>
struct Layout {
    std::array<std::size_t, N> offset{}, stride{};
    std::array<bool, N> is_block{}, is_row{};  // is_row: one [width] row for every row
    std::size_t rows = 0, width = 0;
    bool flat = true;  // every operand a whole tensor of the output's shape: one run
    Shape shape;       // the output's
};

// Checks the operands and works out their layout; throws naming the op.
template <std::size_t N>
Layout<N> layout_of(const char* op, const std::array<Part, N>& parts) {
    Layout<N> L;
    std::array<Shape, N> shapes;
    for (std::size_t j = 0; j < N; ++j) {
        const Part& p = parts[j];
        if (!p.t->defined()) fail<ValueError>("{}: input {} is undefined", op, j);
        Shape s = p.t->shape();
        const std::size_t last = s.empty() ? 1 : s.back();
        if (p.is_block) {
            if (s.empty() || p.n == 0 || p.k >= p.n || last % p.n != 0)
                fail<ValueError>("{}: input {} is block {} of {} of a tensor of shape {}; its last axis must split "
                                 "into {} equal blocks",
                                 op, j, p.k, p.n, shape_str(s), p.n);
            s.back() = last / p.n;
            L.offset[j] = p.k * (last / p.n);
            L.is_block[j] = true;
            L.flat = false;
        }
        L.stride[j] = last;
        shapes[j] = s;
    }
    // The output takes the largest shape; a whole tensor of shape [width]
    // may stand for one row repeated (a per-unit parameter: a bias, a
    // peephole weight).
    std::size_t big = 0;
    auto count = [](const Shape& s) {
        std::size_t c = 1;
        for (std::size_t d : s) c *= d;
        return c;
    };
    for (std::size_t j = 1; j < N; ++j)
        if (count(shapes[j]) > count(shapes[big])) big = j;
    const Shape& out = shapes[big];
    for (std::size_t j = 0; j < N; ++j) {
        if (shapes[j] == out) continue;
        if (!parts[j].is_block && out.size() >= 2 && shapes[j].size() == 1 && shapes[j][0] == out.back()) {
            L.is_row[j] = true;
            L.stride[j] = 0;
            L.flat = false;
            continue;
        }
        std::string all;
        for (std::size_t i = 0; i < N; ++i) {
            all += (i ? ", " : "") + shape_str(shapes[i]);
            if (parts[i].is_block)
                all += fmt::format(" (block {} of {} of {})", parts[i].k, parts[i].n, shape_str(parts[i].t->shape()));
        }
        fail("{}: a fused elementwise op needs inputs of one shape (or [{}] rows to repeat), got {}", op,
             out.empty() ? 1 : out.back(), all);
    }
    L.shape = out;
    L.width = L.shape.empty() ? 1 : L.shape.back();
    L.rows = L.width ? count(L.shape) / L.width : 0;
    return L;
}

// fn(x, y, count) for every run of elements: the whole tensor in SIMD-aligned
// pieces when flat, else row by row (rows shared among the threads, unless
// `serial`: when every row adds into one repeated row's gradient).
template <std::size_t N, class Out, class Fn>
void for_runs(const Layout<N>& L, const std::array<const real*, N>& x, Out* y, std::size_t streams, bool serial,
              Fn&& fn) {
    streams = std::max(streams, kMinStreams);
    if (L.flat) {
        for_blocks(L.rows * L.width, streams, [&](std::size_t lo, std::size_t hi) {
            std::array<const real*, N> xr;
            for (std::size_t j = 0; j < N; ++j) xr[j] = x[j] + lo;
            fn(xr, y + lo, hi - lo);
        });
        return;
    }
    auto rows = [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) {
            std::array<const real*, N> xr;
            for (std::size_t j = 0; j < N; ++j) xr[j] = x[j] + r * L.stride[j] + L.offset[j];
            fn(xr, y + r * L.width, L.width);
        }
    };
    if (serial)
        rows(0, L.rows);
    else
        parallel_for(L.rows, std::max<std::size_t>(1, kElementGrain / std::max<std::size_t>(1, L.width * streams)),
                     rows);
}

}  // namespace fusion

template <class F, class... Ts>
Tensor fused(const char* op, F f, const Ts&... inputs) {
    static_assert(sizeof...(Ts) >= 1, "fused: give at least one input tensor");
    static_assert(((std::is_same_v<Ts, Tensor> || std::is_same_v<Ts, Block>)&&...),
                  "fused: the inputs must be Tensors or blocks of them");
    constexpr std::size_t n = sizeof...(Ts);
    using Seq = std::make_index_sequence<n>;
    const std::array<fusion::Part, n> parts{fusion::part_of(inputs)...};
    const auto L = fusion::layout_of(op, parts);
    std::vector<Tensor> in;
    in.reserve(n);
    std::array<const real*, n> x{};
    for (std::size_t j = 0; j < n; ++j) {
        in.push_back(*parts[j].t);
        x[j] = parts[j].t->data();
    }
    Array y = Array::from_shape(L.shape);
    fusion::for_runs(L, x, y.data(), n + 1, false,
                     [&](const std::array<const real*, n>& xr, real* yr, std::size_t count) {
        fusion::forward_range(f, xr, yr, 0, count, Seq{});
    });
    return record(op, std::move(y), in, [f, L](TensorImpl& y) {
        std::array<const real*, n> xs{};
        std::array<real*, n> dx{};
        std::array<bool, n> add{}, zero_rest{};
        bool serial = false, any_zero_rest = false;
        for (std::size_t j = 0; j < n; ++j) {
            TensorImpl& X = *y.inputs[j];
            xs[j] = X.value.data();
            if (!X.requires_grad) continue;
            // A repeated row sums over every row: it starts from zeros. A
            // block's neighbours may get no gradient here: a new gradient
            // buffer gets them zeroed row by row, by the thread that writes
            // the block (not all of it zeroed first and the block added). A
            // tensor given twice gets its second share added to its first.
            serial = serial || L.is_row[j];
            if (L.is_row[j]) {
                add[j] = true;
                dx[j] = grad_buffer(X).data();
            } else if (L.is_block[j]) {
                add[j] = X.has_grad;
                zero_rest[j] = !X.has_grad;
                any_zero_rest = any_zero_rest || zero_rest[j];
                if (!X.has_grad) {
                    X.grad = Array::from_shape(X.value.shape());
                    X.has_grad = true;
                }
                dx[j] = X.grad.data();
            } else {
                add[j] = grad_beta(X) != 0;
                dx[j] = X.grad.data();
            }
        }
        const real* dy = y.grad.data();
        fusion::for_runs(L, xs, dy, n + 1, serial,
                         [&](const std::array<const real*, n>& xr, const real* dyr, std::size_t count) {
                             std::array<real*, n> dxr{};
                             for (std::size_t j = 0; j < n; ++j)
                                 if (dx[j]) dxr[j] = dx[j] + (xr[j] - xs[j]);  // same place as the value
                             if (any_zero_rest)  // a block run is one row's block
                                 for (std::size_t j = 0; j < n; ++j)
                                     if (zero_rest[j]) {
                                         real* row = dxr[j] - L.offset[j];
                                         std::fill(row, dxr[j], real(0));
                                         std::fill(dxr[j] + count, row + L.stride[j], real(0));
                                     }
                             fusion::backward_range(f, xr, dyr, dxr, add, 0, count, Seq{});
                         });
    }, reads_inputs(~std::uint32_t(0)));
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
