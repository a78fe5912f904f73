#include "gates.hpp"

#include <algorithm>

#include "../autograd/parallel.hpp"
#include "../autograd/tape.hpp"
#include "vecmath.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// body(r) for every row r of a batch of B rows of gates for hidden size H,
// the rows shared among tapegrad's threads when there are enough of them.
template <class F>
void for_rows(std::size_t B, std::size_t H, F&& body) {
    parallel_for(B, rows_per_grain(4 * H), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t r = lo; r < hi; ++r) body(r);
    });
}

// d += v, or d = v into a gradient buffer that was just made (grad_beta
// returned 0): no zero-fill pass before the kernel, no read of the zeros.
template <bool Add>
inline void put(real& d, real v) {
    if constexpr (Add) d += v;
    else d = v;
}

// o[j] (+)= v(j) for j < n: the same, row by row, for a whole buffer.
template <class V>
void put_row(bool add, real* __restrict o, std::size_t n, V v) {
    if (add)
        for (std::size_t j = 0; j < n; ++j) o[j] += v(j);
    else
        for (std::size_t j = 0; j < n; ++j) o[j] = v(j);
}

// Checks gates [B, k*H] against a state [B, H]; returns H.
std::size_t gate_width(const char* op, const Tensor& gates, std::size_t k, const Tensor& state) {
    if (gates.dim() != 2 || state.dim() != 2 || gates.shape()[0] != state.shape()[0] ||
        gates.shape()[1] != k * state.shape()[1])
        fail("{}: gates {} do not fit state {} (expected gates [B, {}*H] and state [B, H])", op,
             shape_str(gates.shape()), shape_str(state.shape()), k);
    return state.shape()[1];
}

// One row of the cell state's gate gradients added into d = [i, f, g, o]
// parts. A plain function of restrict pointers, so the loop vectorises.
template <bool Add>
void lstm_cell_state_gate_grads(const real* __restrict s, const real* __restrict c, const real* __restrict dy,
                                real* __restrict d, std::size_t H) {
    real* __restrict d_f = d + H;
    real* __restrict d_g = d + 2 * H;
    for (std::size_t j = 0; j < H; ++j) {
        const real i = s[j], f = s[H + j], g = s[2 * H + j];
        put<Add>(d[j], dy[j] * g * i * (1 - i));
        put<Add>(d_f[j], dy[j] * c[j] * f * (1 - f));
        put<Add>(d_g[j], dy[j] * i * (1 - g * g));
    }
}
}  // namespace

// c' = f*c + i*g with i = sigma(a_i), f = sigma(a_f), g = tanh(a_g):
//   da_i = dc' g i(1-i),  da_f = dc' c f(1-f),  da_g = dc' i (1-g^2),  dc = dc' f
Tensor lstm_cell_state(const Tensor& gates, const Tensor& c) {
    const std::size_t H = gate_width("lstm_cell_state", gates, 4, c), B = c.shape()[0];
    Array act = Array::from_shape({B, 3 * H});  // i, f, g per row, kept for backward
    Array y = Array::from_shape({B, H});
    const real* gd = gates.data();
    const real* cd = c.data();
    for_rows(B, H, [&](std::size_t r) {
        const real* a = gd + r * 4 * H;
        real* s = act.data() + r * 3 * H;
        vec_sigmoid(a, s, 2 * H);
        vec_tanh(a + 2 * H, s + 2 * H, H);
        const real* cp = cd + r * H;
        real* cn = y.data() + r * H;
        for (std::size_t j = 0; j < H; ++j) cn[j] = s[H + j] * cp[j] + s[j] * s[2 * H + j];
    });
    return record("lstm_cell_state", std::move(y), {gates, c}, [act = std::move(act), B, H](TensorImpl& y) {
        TensorImpl& G = *y.inputs[0];
        TensorImpl& C = *y.inputs[1];
        const real* dy = y.grad.data();
        const real* cv = C.value.data();
        // one pass over the rows for both gradients (null: not wanted); a
        // fresh gradient buffer is written, not added to
        const bool g_add = G.requires_grad && grad_beta(G) != 0, c_add = C.requires_grad && grad_beta(C) != 0;
        real* dg = G.requires_grad ? G.grad.data() : nullptr;
        real* dc = C.requires_grad ? C.grad.data() : nullptr;
        for_rows(B, H, [&](std::size_t r) {
            const real* s = act.data() + r * 3 * H;
            const real* dyr = dy + r * H;
            if (dg && g_add) lstm_cell_state_gate_grads<true>(s, cv + r * H, dyr, dg + r * 4 * H, H);
            if (dg && !g_add) {
                lstm_cell_state_gate_grads<false>(s, cv + r * H, dyr, dg + r * 4 * H, H);
                std::fill(dg + r * 4 * H + 3 * H, dg + (r + 1) * 4 * H, real(0));  // o: not this op's
            }
            if (dc) put_row(c_add, dc + r * H, H, [&](std::size_t j) { return dyr[j] * s[H + j]; });
        });
    });
}

// h = o tanh(c') with o = sigma(a_o):  da_o = dh tanh(c') o(1-o),  dc' = dh o (1 - tanh(c')^2)
Tensor lstm_hidden(const Tensor& gates, const Tensor& c_next) {
    const std::size_t H = gate_width("lstm_hidden", gates, 4, c_next), B = c_next.shape()[0];
    Array act = Array::from_shape({B, 2 * H});  // o, tanh(c') per row
    Array y = Array::from_shape({B, H});
    const real* gd = gates.data();
    const real* cd = c_next.data();
    for_rows(B, H, [&](std::size_t r) {
        real* s = act.data() + r * 2 * H;
        vec_sigmoid(gd + r * 4 * H + 3 * H, s, H);
        vec_tanh(cd + r * H, s + H, H);
        real* h = y.data() + r * H;
        for (std::size_t j = 0; j < H; ++j) h[j] = s[j] * s[H + j];
    });
    return record("lstm_hidden", std::move(y), {gates, c_next}, [act = std::move(act), B, H](TensorImpl& y) {
        TensorImpl& G = *y.inputs[0];
        TensorImpl& C = *y.inputs[1];
        const real* dy = y.grad.data();
        const bool g_add = G.requires_grad && grad_beta(G) != 0, c_add = C.requires_grad && grad_beta(C) != 0;
        real* dg = G.requires_grad ? G.grad.data() : nullptr;
        real* dc = C.requires_grad ? C.grad.data() : nullptr;
        for_rows(B, H, [&](std::size_t r) {
            const real* s = act.data() + r * 2 * H;
            const real* dyr = dy + r * H;
            if (dg) {
                if (!g_add) std::fill(dg + r * 4 * H, dg + r * 4 * H + 3 * H, real(0));  // i, f, g: not this op's
                put_row(g_add, dg + r * 4 * H + 3 * H, H,
                        [&](std::size_t j) { return dyr[j] * s[H + j] * s[j] * (1 - s[j]); });
            }
            if (dc) put_row(c_add, dc + r * H, H, [&](std::size_t j) { return dyr[j] * s[j] * (1 - s[H + j] * s[H + j]); });
        });
    });
}

namespace {
// One row's pre-activation gradients added into o = [r, z, n] parts: the
// same from both sides for r and z; n's hidden side is scaled by r
// (dh_n = dx_n r). Recomputed per side, so each loop is one plain pass the
// compiler vectorises.
template <bool Add>
void gru_gate_grads(const real* __restrict s, const real* __restrict hn, const real* __restrict hp,
                    const real* __restrict g, real* __restrict o, std::size_t H, bool hidden_side) {
    real* __restrict o_r = o;
    real* __restrict o_z = o + H;
    real* __restrict o_n = o + 2 * H;
    for (std::size_t j = 0; j < H; ++j) {
        const real rg = s[j], z = s[H + j], n = s[2 * H + j];
        const real dn = g[j] * (1 - z) * (1 - n * n);  // through tanh
        put<Add>(o_r[j], dn * hn[j] * rg * (1 - rg));
        put<Add>(o_z[j], g[j] * (hp[j] - n) * z * (1 - z));
        put<Add>(o_n[j], hidden_side ? dn * rg : dn);
    }
}

// Both forms, chosen per buffer at run time.
void gru_gate_grads(bool add, const real* s, const real* hn, const real* hp, const real* g, real* o, std::size_t H,
                    bool hidden_side) {
    if (add) gru_gate_grads<true>(s, hn, hp, g, o, H, hidden_side);
    else gru_gate_grads<false>(s, hn, hp, g, o, H, hidden_side);
}
}  // namespace

namespace {
// h' = (1-z) n + z h with r = sigma(x_r + h_r), z = sigma(x_z + h_z), n = tanh(x_n + r h_n):
//   dn = dh' (1-z), dz = dh' (h - n), dh = dh' z
//   dx_n = dn (1-n^2) = dh_n / r,  dr = dx_n h_n,  dx_r = dh_r = dr r(1-r),  dx_z = dh_z = dz z(1-z)
// with the input gates xg read at element offset x_off of x_all: x_all
// itself, or step t of a [T, B, 3H] tensor.
Tensor gru_hidden_at(const Tensor& x_all, std::size_t x_off, const Tensor& hg, const Tensor& h) {
    const std::size_t H = gate_width("gru_hidden", hg, 3, h), B = h.shape()[0];
    Array act = Array::from_shape({B, 3 * H});  // r, z, n per row
    Array y = Array::from_shape({B, H});
    const real* xd = x_all.data() + x_off;
    const real* hgd = hg.data();
    const real* hd = h.data();
    for_rows(B, H, [&](std::size_t r) {
        const real* x = xd + r * 3 * H;
        const real* hh = hgd + r * 3 * H;
        real* s = act.data() + r * 3 * H;
        for (std::size_t j = 0; j < 2 * H; ++j) s[j] = x[j] + hh[j];
        vec_sigmoid(s, s, 2 * H);
        for (std::size_t j = 0; j < H; ++j) s[2 * H + j] = x[2 * H + j] + s[j] * hh[2 * H + j];
        vec_tanh(s + 2 * H, s + 2 * H, H);
        const real* hp = hd + r * H;
        real* out = y.data() + r * H;
        for (std::size_t j = 0; j < H; ++j) out[j] = (1 - s[H + j]) * s[2 * H + j] + s[H + j] * hp[j];
    });
    return record("gru_hidden", std::move(y), {x_all, hg, h}, [act = std::move(act), B, H, x_off](TensorImpl& y) {
        TensorImpl& X = *y.inputs[0];
        TensorImpl& Hg = *y.inputs[1];
        TensorImpl& Hp = *y.inputs[2];
        const real* dy = y.grad.data();
        // A fresh buffer is written, not added to -- except a whole
        // sequence's, of which this step fills one slice.
        bool x_add = true;
        real* dx = nullptr;
        if (X.requires_grad) {
            if (X.value.size() == B * 3 * H) x_add = grad_beta(X) != 0;
            dx = (x_add ? grad_buffer(X) : X.grad).data() + x_off;  // where the step lies
        }
        const bool hg_add = Hg.requires_grad && grad_beta(Hg) != 0, hp_add = Hp.requires_grad && grad_beta(Hp) != 0;
        real* dhg = Hg.requires_grad ? Hg.grad.data() : nullptr;
        real* dhp = Hp.requires_grad ? Hp.grad.data() : nullptr;
        for_rows(B, H, [&](std::size_t r) {
            const real* s = act.data() + r * 3 * H;
            const real* hn = Hg.value.data() + r * 3 * H + 2 * H;
            const real* g = dy + r * H;
            const real* hp = Hp.value.data() + r * H;
            if (dx) gru_gate_grads(x_add, s, hn, hp, g, dx + r * 3 * H, H, false);
            if (dhg) gru_gate_grads(hg_add, s, hn, hp, g, dhg + r * 3 * H, H, true);
            if (dhp) put_row(hp_add, dhp + r * H, H, [&](std::size_t j) { return g[j] * s[H + j]; });
        });
    });
}
}  // namespace

Tensor gru_hidden(const Tensor& xg, const Tensor& hg, const Tensor& h) {
    gate_width("gru_hidden", xg, 3, h);
    if (hg.shape() != xg.shape())
        fail("gru_hidden: hidden gates {} differ from input gates {}", shape_str(hg.shape()), shape_str(xg.shape()));
    return gru_hidden_at(xg, 0, hg, h);
}

Tensor gru_hidden(const Tensor& xg_all, std::size_t t, const Tensor& hg, const Tensor& h) {
    gate_width("gru_hidden", hg, 3, h);
    if (xg_all.dim() != 3 || t >= xg_all.shape()[0])
        fail<ValueError>("gru_hidden: step {} is out of range for input gates of shape {} (expected [T, B, 3H])", t,
                         shape_str(xg_all.shape()));
    const Shape step(xg_all.shape().begin() + 1, xg_all.shape().end());
    if (step != hg.shape())
        fail("gru_hidden: step {} of the input gates {} is {}, not the hidden gates' shape {}", t,
             shape_str(xg_all.shape()), shape_str(step), shape_str(hg.shape()));
    return gru_hidden_at(xg_all, t * hg.numel(), hg, h);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
