// SPDX-License-Identifier: MIT
// The elementwise functions and their derivatives (see pointwise.hpp), and
// the eager ops that run them over whole tensors.
#include "pointwise.hpp"

#include <xtensor/xbroadcast.hpp>

#include "../autograd/record.hpp"
#include "broadcast.hpp"
#include "vecmath.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace pointwise {

bool is_binary(Code c) { return c == Code::Add || c == Code::Sub || c == Code::Mul || c == Code::Div; }

const char* name(Code c) {
    switch (c) {
    case Code::Add: return "add";
    case Code::Sub: return "sub";
    case Code::Mul: return "mul";
    case Code::Div: return "div";
    case Code::Neg: return "neg";
    case Code::AddS: return "add_scalar";
    case Code::MulS: return "mul_scalar";
    case Code::RSubS: return "rsub_scalar";
    case Code::Sigmoid: return "sigmoid";
    case Code::Tanh: return "tanh";
    case Code::Exp: return "exp";
    case Code::Relu: return "relu";
    }
    return "?";
}

// ---- y = f(a, b), and beside it dL/da, dL/db from g = dL/dy ----
// (what each derivative reads is what reads_a, reads_b and reads_y say)
bool reads_a(Code c) { return c == Code::Mul || c == Code::Relu; }
bool reads_b(Code c) { return c == Code::Mul || c == Code::Div; }
bool reads_y(Code c) { return c == Code::Div || c == Code::Sigmoid || c == Code::Tanh || c == Code::Exp; }

// Every loop below runs over `rows` rows of m elements, row r of an operand
// at p + r * stride: a piece of a fused program reads several rows of a
// gate block at once (speed/fusion.cpp), an eager op one row of everything.
namespace {
template <class F>
inline void each_row(std::size_t rows, In a, In b, Out y, F f) {
    for (std::size_t r = 0; r < rows; ++r)
        f(a.p ? a.p + r * a.stride : nullptr, b.p ? b.p + r * b.stride : nullptr, y.p + r * y.stride);
}
}  // namespace

void forward(Code c, real s, In a, In b, Out y, std::size_t m, std::size_t rows) {
    using P = const real* __restrict;
    switch (c) {
    case Code::Add: each_row(rows, a, b, y, [m](P a, P b, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = a[k] + b[k]; }); break;
    case Code::Sub: each_row(rows, a, b, y, [m](P a, P b, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = a[k] - b[k]; }); break;
    case Code::Mul: each_row(rows, a, b, y, [m](P a, P b, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = a[k] * b[k]; }); break;
    case Code::Div: each_row(rows, a, b, y, [m](P a, P b, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = a[k] / b[k]; }); break;
    case Code::Neg: each_row(rows, a, b, y, [m](P a, P, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = -a[k]; }); break;
    case Code::AddS: each_row(rows, a, b, y, [m, s](P a, P, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = a[k] + s; }); break;
    case Code::MulS: each_row(rows, a, b, y, [m, s](P a, P, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = a[k] * s; }); break;
    case Code::RSubS: each_row(rows, a, b, y, [m, s](P a, P, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = s - a[k]; }); break;
    case Code::Sigmoid: each_row(rows, a, b, y, [m](P a, P, real* y) { vec_sigmoid(a, y, m); }); break;
    case Code::Tanh: each_row(rows, a, b, y, [m](P a, P, real* y) { vec_tanh(a, y, m); }); break;
    case Code::Exp: each_row(rows, a, b, y, [m](P a, P, real* y) { vec_exp(a, y, m); }); break;
    case Code::Relu: each_row(rows, a, b, y, [m](P a, P, real* __restrict y) { for (std::size_t k = 0; k < m; ++k) y[k] = a[k] > 0 ? a[k] : real(0); }); break;
    }
}

namespace {
// The rows of g, a, b and y a derivative reads, row r's pointers handed to
// v(k, g, a, b, y) for element k.
struct Reads {
    In g, a, b, y;
    std::size_t rows, m;
};

// d (= or +=) v: the first contribution to an adjoint sets it.
template <class V>
inline void put(Out d, char& set, const Reads& R, V v) {
    for (std::size_t r = 0; r < R.rows; ++r) {
        real* __restrict dr = d.p + r * d.stride;
        const real* gr = R.g.p + r * R.g.stride;
        const real* ar = R.a.p ? R.a.p + r * R.a.stride : nullptr;
        const real* br = R.b.p ? R.b.p + r * R.b.stride : nullptr;
        const real* yr = R.y.p ? R.y.p + r * R.y.stride : nullptr;
        if (set)
            for (std::size_t k = 0; k < R.m; ++k) dr[k] += v(k, gr, ar, br, yr);
        else
            for (std::size_t k = 0; k < R.m; ++k) dr[k] = v(k, gr, ar, br, yr);
    }
    set = 1;
}

// Both operands' adjoints in one loop: one read of g and of the operands
// instead of two (an LSTM's gate sums, its products).
template <bool SA, bool SB, class VA, class VB>
inline void put2(Out da, Out db, const Reads& R, VA va, VB vb) {
    for (std::size_t r = 0; r < R.rows; ++r) {
        real* __restrict dar = da.p + r * da.stride;
        real* __restrict dbr = db.p + r * db.stride;
        const real* gr = R.g.p + r * R.g.stride;
        const real* ar = R.a.p ? R.a.p + r * R.a.stride : nullptr;
        const real* br = R.b.p ? R.b.p + r * R.b.stride : nullptr;
        const real* yr = R.y.p ? R.y.p + r * R.y.stride : nullptr;
        for (std::size_t k = 0; k < R.m; ++k) {
            if constexpr (SA) dar[k] += va(k, gr, ar, br, yr); else dar[k] = va(k, gr, ar, br, yr);
            if constexpr (SB) dbr[k] += vb(k, gr, ar, br, yr); else dbr[k] = vb(k, gr, ar, br, yr);
        }
    }
}
template <class VA, class VB>
inline void put_both(Out da, char& sa, Out db, char& sb, const Reads& R, VA va, VB vb) {
    // one of them, or both into one buffer (x * x: the second adds to the first)
    const bool overlap = da.p && db.p && da.stride == db.stride &&
                         da.p < db.p + (R.rows - 1) * db.stride + R.m && db.p < da.p + (R.rows - 1) * da.stride + R.m;
    if (!da.p || !db.p || overlap) {
        if (da.p) put(da, sa, R, va);
        if (db.p) put(db, sb, R, vb);
        return;
    }
    if (sa && sb) put2<true, true>(da, db, R, va, vb);
    else if (sa) put2<true, false>(da, db, R, va, vb);
    else if (sb) put2<false, true>(da, db, R, va, vb);
    else put2<false, false>(da, db, R, va, vb);
    sa = sb = 1;
}
using Row = const real*;
}  // namespace

// da, db (adjoints of the operands; null where not wanted) from g, the
// adjoint of y = f(a, b).
void backward(Code c, real s, In a, In b, In y, In g, Out da, char& sa, Out db, char& sb, std::size_t m,
              std::size_t rows) {
    const Reads R{g, a, b, y, rows, m};
    switch (c) {
    case Code::Add:  // d(a+b) = da + db
        put_both(da, sa, db, sb, R, [](std::size_t k, Row g, Row, Row, Row) { return g[k]; },
                 [](std::size_t k, Row g, Row, Row, Row) { return g[k]; });
        break;
    case Code::Sub:  // d(a-b) = da - db
        put_both(da, sa, db, sb, R, [](std::size_t k, Row g, Row, Row, Row) { return g[k]; },
                 [](std::size_t k, Row g, Row, Row, Row) { return -g[k]; });
        break;
    case Code::Mul:  // d(ab) = b da + a db
        put_both(da, sa, db, sb, R, [](std::size_t k, Row g, Row, Row b, Row) { return g[k] * b[k]; },
                 [](std::size_t k, Row g, Row a, Row, Row) { return g[k] * a[k]; });
        break;
    case Code::Div:  // d(a/b) = da / b - (a/b) db / b
        put_both(da, sa, db, sb, R, [](std::size_t k, Row g, Row, Row b, Row) { return g[k] / b[k]; },
                 [](std::size_t k, Row g, Row, Row b, Row y) { return -g[k] * y[k] / b[k]; });
        break;
    case Code::Neg: put(da, sa, R, [](std::size_t k, Row g, Row, Row, Row) { return -g[k]; }); break;
    case Code::AddS: put(da, sa, R, [](std::size_t k, Row g, Row, Row, Row) { return g[k]; }); break;
    case Code::MulS: put(da, sa, R, [s](std::size_t k, Row g, Row, Row, Row) { return g[k] * s; }); break;
    case Code::RSubS: put(da, sa, R, [](std::size_t k, Row g, Row, Row, Row) { return -g[k]; }); break;
    case Code::Sigmoid:  // s' = s (1 - s)
        put(da, sa, R, [](std::size_t k, Row g, Row, Row, Row y) { return g[k] * y[k] * (real(1) - y[k]); });
        break;
    case Code::Tanh:  // t' = 1 - t^2
        put(da, sa, R, [](std::size_t k, Row g, Row, Row, Row y) { return g[k] * (real(1) - y[k] * y[k]); });
        break;
    case Code::Exp:  // e' = e
        put(da, sa, R, [](std::size_t k, Row g, Row, Row, Row y) { return g[k] * y[k]; });
        break;
    case Code::Relu:  // relu' = [a > 0]
        put(da, sa, R, [](std::size_t k, Row g, Row a, Row, Row) { return a[k] > 0 ? g[k] : real(0); });
        break;
    }
}

// ---- the eager op ----
Tensor apply(Code c, const Tensor& a, const Tensor* b, real s) {
    const char* op = name(c);
    const Shape shape = b ? broadcast_shapes(op, a.shape(), b->shape()) : a.shape();
    // operands at the result's shape: a broadcast copy only where they differ
    Array a_full = no_elements(), b_full = no_elements();  // (a default Array allocates one element)
    const real* pa = a.data();
    const real* pb = b ? b->data() : nullptr;
    if (a.shape() != shape) pa = (a_full = xt::broadcast(a.value(), shape)).data();
    if (b && b->shape() != shape) pb = (b_full = xt::broadcast(b->value(), shape)).data();
    Array y = Array::from_shape(shape);
    forward(c, s, {pa, 0}, {pb, 0}, {y.data(), 0}, y.size());

    auto back = [c, s](TensorImpl& y) {
        TensorImpl& A = *y.inputs[0];
        TensorImpl* B = y.inputs.size() > 1 ? y.inputs[1].get() : nullptr;
        const Shape& ys = y.value.shape();  // (kept when the value itself is not)
        const std::size_t n = xt::compute_size(ys);
        // an operand's values at y's shape, where the derivative reads them
        Array a_full = no_elements(), b_full = no_elements();
        auto full = [&](const TensorImpl& t, Array& copy) -> const real* {
            return t.value.shape() == ys ? t.value.data() : (copy = xt::broadcast(t.value, ys)).data();
        };
        const real* pa = reads_a(c) ? full(A, a_full) : nullptr;
        const real* pb = B && reads_b(c) ? full(*B, b_full) : nullptr;
        // an input of y's shape receives its gradient in place; a broadcast
        // one in a buffer of y's shape, then summed back to its own
        Array da_full = no_elements(), db_full = no_elements();
        char sa = 0, sb = 0;
        auto target = [&](TensorImpl& t, Array& buf, char& set) -> real* {
            if (!t.requires_grad) return nullptr;
            if (t.value.shape() != ys) return (buf = Array::from_shape(ys)).data();
            const GradBuffer g = grad_into(t);
            set = g.beta != 0;
            return g.data;
        };
        real* da = target(A, da_full, sa);
        real* db = nullptr;
        if (B == &A && A.requires_grad)  // x * x: the second share in a buffer of its own, added below
            db = (db_full = Array::from_shape(ys)).data();
        else if (B)
            db = target(*B, db_full, sb);
        backward(c, s, {pa, 0}, {pb, 0}, {reads_y(c) ? y.value.data() : nullptr, 0}, {y.grad.data(), 0}, {da, 0}, sa,
                 {db, 0}, sb, n);
        if (da_full.size() && n) accumulate(A, sum_to(std::move(da_full), A.value.shape()));
        if (db_full.size() && n) accumulate(*B, sum_to(std::move(db_full), B->value.shape()));
    };
    const Output out = reads_y(c) ? Output::read : Output::unread;
    if (!b) return record(op, std::move(y), {reads_a(c) ? Input(a) : unread(a)}, back, out);
    return record(op, std::move(y), {reads_a(c) ? Input(a) : unread(a), reads_b(c) ? Input(*b) : unread(*b)}, back,
                  out);
}

}  // namespace pointwise
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
