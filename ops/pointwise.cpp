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

void forward(Code c, real s, const real* __restrict a, const real* __restrict b, real* __restrict y, std::size_t m) {
    switch (c) {
    case Code::Add: for (std::size_t k = 0; k < m; ++k) y[k] = a[k] + b[k]; break;
    case Code::Sub: for (std::size_t k = 0; k < m; ++k) y[k] = a[k] - b[k]; break;
    case Code::Mul: for (std::size_t k = 0; k < m; ++k) y[k] = a[k] * b[k]; break;
    case Code::Div: for (std::size_t k = 0; k < m; ++k) y[k] = a[k] / b[k]; break;
    case Code::Neg: for (std::size_t k = 0; k < m; ++k) y[k] = -a[k]; break;
    case Code::AddS: for (std::size_t k = 0; k < m; ++k) y[k] = a[k] + s; break;
    case Code::MulS: for (std::size_t k = 0; k < m; ++k) y[k] = a[k] * s; break;
    case Code::RSubS: for (std::size_t k = 0; k < m; ++k) y[k] = s - a[k]; break;
    case Code::Sigmoid: vec_sigmoid(a, y, m); break;
    case Code::Tanh: vec_tanh(a, y, m); break;
    case Code::Exp: vec_exp(a, y, m); break;
    case Code::Relu: for (std::size_t k = 0; k < m; ++k) y[k] = a[k] > 0 ? a[k] : real(0); break;
    }
}

// d (= or +=) v(k): the first contribution to an adjoint sets it.
template <class V>
inline void put(real* __restrict d, char& set, std::size_t m, V v) {
    if (set)
        for (std::size_t k = 0; k < m; ++k) d[k] += v(k);
    else
        for (std::size_t k = 0; k < m; ++k) d[k] = v(k);
    set = 1;
}

// Both operands' adjoints in one loop over the piece: one read of g and
// of the operands instead of two (an LSTM's gate sums, its products).
template <bool SA, bool SB, class VA, class VB>
inline void put2(real* __restrict da, real* __restrict db, std::size_t m, VA va, VB vb) {
    for (std::size_t k = 0; k < m; ++k) {
        if constexpr (SA) da[k] += va(k); else da[k] = va(k);
        if constexpr (SB) db[k] += vb(k); else db[k] = vb(k);
    }
}
template <class VA, class VB>
inline void put_both(real* da, char& sa, real* db, char& sb, std::size_t m, VA va, VB vb) {
    if (!da || !db || (da < db + m && db < da + m)) {  // one of them, or overlapping (x * x)
        if (da) put(da, sa, m, va);
        if (db) put(db, sb, m, vb);
        return;
    }
    if (sa && sb) put2<true, true>(da, db, m, va, vb);
    else if (sa) put2<true, false>(da, db, m, va, vb);
    else if (sb) put2<false, true>(da, db, m, va, vb);
    else put2<false, false>(da, db, m, va, vb);
    sa = sb = 1;
}

// da, db (adjoints of the operands; null where not wanted) from g, the
// adjoint of y = op(a, b).
void backward(Code c, real s, const real* __restrict a, const real* __restrict b, const real* __restrict y,
              const real* __restrict g, real* da, char& sa, real* db, char& sb, std::size_t m) {
    switch (c) {
    case Code::Add:  // d(a+b) = da + db
        put_both(da, sa, db, sb, m, [=](std::size_t k) { return g[k]; }, [=](std::size_t k) { return g[k]; });
        break;
    case Code::Sub:  // d(a-b) = da - db
        put_both(da, sa, db, sb, m, [=](std::size_t k) { return g[k]; }, [=](std::size_t k) { return -g[k]; });
        break;
    case Code::Mul:  // d(ab) = b da + a db
        put_both(da, sa, db, sb, m, [=](std::size_t k) { return g[k] * b[k]; },
                 [=](std::size_t k) { return g[k] * a[k]; });
        break;
    case Code::Div:  // d(a/b) = da / b - (a/b) db / b
        put_both(da, sa, db, sb, m, [=](std::size_t k) { return g[k] / b[k]; },
                 [=](std::size_t k) { return -g[k] * y[k] / b[k]; });
        break;
    case Code::Neg: put(da, sa, m, [=](std::size_t k) { return -g[k]; }); break;
    case Code::AddS: put(da, sa, m, [=](std::size_t k) { return g[k]; }); break;
    case Code::MulS: put(da, sa, m, [=](std::size_t k) { return g[k] * s; }); break;
    case Code::RSubS: put(da, sa, m, [=](std::size_t k) { return -g[k]; }); break;
    case Code::Sigmoid:  // s' = s (1 - s)
        put(da, sa, m, [=](std::size_t k) { return g[k] * y[k] * (real(1) - y[k]); });
        break;
    case Code::Tanh:  // t' = 1 - t^2
        put(da, sa, m, [=](std::size_t k) { return g[k] * (real(1) - y[k] * y[k]); });
        break;
    case Code::Exp: put(da, sa, m, [=](std::size_t k) { return g[k] * y[k]; }); break;  // e' = e
    case Code::Relu:  // relu' = [a > 0]
        put(da, sa, m, [=](std::size_t k) { return a[k] > 0 ? g[k] : real(0); });
        break;
    }
}


// ---- the eager op ----
Tensor apply(Code c, const Tensor& a, const Tensor* b, real s) {
    const char* op = name(c);
    const Shape shape = b ? broadcast_shapes(op, a.shape(), b->shape()) : a.shape();
    // operands at the result's shape: a broadcast copy only where they differ
    Array a_full, b_full;
    const real* pa = a.data();
    const real* pb = b ? b->data() : nullptr;
    if (a.shape() != shape) pa = (a_full = xt::broadcast(a.value(), shape)).data();
    if (b && b->shape() != shape) pb = (b_full = xt::broadcast(b->value(), shape)).data();
    Array y = Array::from_shape(shape);
    forward(c, s, pa, pb, y.data(), y.size());

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
        backward(c, s, pa, pb, reads_y(c) ? y.value.data() : nullptr, y.grad.data(), da, sa, db, sb, n);
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
