// SPDX-License-Identifier: MIT
#include "floor.hpp"

#include <cmath>
#include <random>
#include <tapegrad.hpp>
#include <ops/gemm.hpp>
#include <ops/vecmath.hpp>

namespace bench {


FusedLSTM::FusedLSTM(std::size_t E_, std::size_t H_, std::size_t V_, std::size_t T_, std::size_t B_,
                     std::uint64_t seed)
    : E(E_), H(H_), V(V_), T(T_), B(B_) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(-0.08f, 0.08f);
    auto init = [&](std::vector<float>& v, std::size_t n) {
        v.resize(n);
        for (auto& e : v) e = u(rng);
    };
    init(emb, V * E), init(Wih, 4 * H * E), init(Whh, 4 * H * H), init(b, 4 * H), init(Wo, V * H), init(bo, V);
    for (auto* g : {&demb, &dWih, &dWhh, &db, &dWo, &dbo}) g->clear();
    demb.resize(V * E), dWih.resize(4 * H * E), dWhh.resize(4 * H * H), db.resize(4 * H), dWo.resize(V * H),
        dbo.resize(V);
    x.resize(T * B), y.resize(T * B);
    for (auto& v : x) v = int(rng() % V);
    for (auto& v : y) v = int(rng() % V);
    X.resize(T * B * E), G.resize(T * B * 4 * H), Hs.resize((T + 1) * B * H), Cs.resize((T + 1) * B * H);
    TC.resize(T * B * H), logits.resize(T * B * V), dH.resize(T * B * H), dG.resize(T * B * 4 * H);
    dX.resize(T * B * E), dh.resize(B * H), dc.resize(B * H);
}

float FusedLSTM::train_step() {
    using tapegrad::gemm;
    const std::size_t N = T * B, H4 = 4 * H;
    // ---- forward
    for (std::size_t k = 0; k < N; ++k)
        std::copy(&emb[x[k] * E], &emb[x[k] * E] + E, &X[k * E]);
    for (std::size_t k = 0; k < N; ++k) std::copy(b.begin(), b.end(), &G[k * H4]);
    gemm(false, true, N, H4, E, 1, X.data(), E, Wih.data(), E, 1, G.data(), H4);
    std::fill(Hs.begin(), Hs.begin() + B * H, 0.f);
    std::fill(Cs.begin(), Cs.begin() + B * H, 0.f);
    // As tapegrad's linear does for such products: W_hh^T made once, each
    // step's product then untransposed (OpenBLAS's unpacked kernel).
    const bool transposed = double(B) * double(H4) * double(H) <= 8e6;
    if (transposed) {
        WhhT.resize(H * H4);
        for (std::size_t o0 = 0; o0 < H4; o0 += 16)  // in 16x16 tiles; H is a multiple of 16
            for (std::size_t i0 = 0; i0 < H; i0 += 16)
                for (std::size_t o = o0; o < o0 + 16; ++o)
                    for (std::size_t i = i0; i < i0 + 16; ++i) WhhT[i * H4 + o] = Whh[o * H + i];
    }
    for (std::size_t t = 0; t < T; ++t) {
        float* g = &G[t * B * H4];
        if (transposed)
            gemm(false, false, B, H4, H, 1, &Hs[t * B * H], H, WhhT.data(), H4, 1, g, H4);
        else
            gemm(false, true, B, H4, H, 1, &Hs[t * B * H], H, Whh.data(), H, 1, g, H4);
        for (std::size_t r = 0; r < B; ++r) {
            float* gr = g + r * H4;
            const float* cp = &Cs[(t * B + r) * H];
            float* cn = &Cs[((t + 1) * B + r) * H];
            float* hn = &Hs[((t + 1) * B + r) * H];
            float* tc = &TC[(t * B + r) * H];
            // activations overwrite the pre-activations (vectorised kernels)
            tapegrad::vec_sigmoid(gr, gr, 2 * H);
            tapegrad::vec_tanh(gr + 2 * H, gr + 2 * H, H);
            tapegrad::vec_sigmoid(gr + 3 * H, gr + 3 * H, H);
            for (std::size_t j = 0; j < H; ++j) cn[j] = gr[H + j] * cp[j] + gr[j] * gr[2 * H + j];
            tapegrad::vec_tanh(cn, tc, H);
            for (std::size_t j = 0; j < H; ++j) hn[j] = gr[3 * H + j] * tc[j];
        }
    }
    for (std::size_t k = 0; k < N; ++k) std::copy(bo.begin(), bo.end(), &logits[k * V]);
    gemm(false, true, N, V, H, 1, &Hs[B * H], H, Wo.data(), H, 1, logits.data(), V);
    double loss = 0;
    for (std::size_t k = 0; k < N; ++k) {  // softmax cross-entropy; logits become dlogits
        float* l = &logits[k * V];
        float m = l[0];
        for (std::size_t v = 1; v < V; ++v) m = std::max(m, l[v]);
        for (std::size_t v = 0; v < V; ++v) l[v] -= m;
        tapegrad::vec_exp(l, l, V);
        float s = 0;
        for (std::size_t v = 0; v < V; ++v) s += l[v];
        loss += std::log(s) - std::log(l[y[k]]);
        for (std::size_t v = 0; v < V; ++v) l[v] /= s * float(N);
        l[y[k]] -= 1.f / float(N);
    }
    // ---- backward
    gemm(true, false, V, H, N, 1, logits.data(), V, &Hs[B * H], H, 0, dWo.data(), H);
    std::fill(dbo.begin(), dbo.end(), 0.f);
    for (std::size_t k = 0; k < N; ++k)
        for (std::size_t v = 0; v < V; ++v) dbo[v] += logits[k * V + v];
    gemm(false, false, N, H, V, 1, logits.data(), V, Wo.data(), H, 0, dH.data(), H);
    std::fill(dh.begin(), dh.end(), 0.f);
    std::fill(dc.begin(), dc.end(), 0.f);
    for (std::size_t t = T; t-- > 0;) {
        const float* a = &G[t * B * H4];
        float* d = &dG[t * B * H4];
        for (std::size_t r = 0; r < B; ++r) {
            const float* ar = a + r * H4;
            float* dr = d + r * H4;
            const float* cp = &Cs[(t * B + r) * H];
            const float* tc = &TC[(t * B + r) * H];
            const float* dHt = &dH[(t * B + r) * H];
            for (std::size_t j = 0; j < H; ++j) {
                const float i = ar[j], f = ar[H + j], gg = ar[2 * H + j], o = ar[3 * H + j];
                const float dhj = dHt[j] + dh[r * H + j];
                const float dcj = dhj * o * (1 - tc[j] * tc[j]) + dc[r * H + j];
                dr[j] = dcj * gg * i * (1 - i);
                dr[H + j] = dcj * cp[j] * f * (1 - f);
                dr[2 * H + j] = dcj * i * (1 - gg * gg);
                dr[3 * H + j] = dhj * tc[j] * o * (1 - o);
                dc[r * H + j] = dcj * f;
            }
        }
        gemm(false, false, B, H, H4, 1, d, H4, Whh.data(), H, 0, dh.data(), H);
    }
    gemm(true, false, H4, H, N, 1, dG.data(), H4, Hs.data(), H, 0, dWhh.data(), H);  // h_{t-1} for every t
    gemm(true, false, H4, E, N, 1, dG.data(), H4, X.data(), E, 0, dWih.data(), E);
    std::fill(db.begin(), db.end(), 0.f);
    for (std::size_t k = 0; k < N; ++k)
        for (std::size_t j = 0; j < H4; ++j) db[j] += dG[k * H4 + j];
    gemm(false, false, N, E, H4, 1, dG.data(), H4, Wih.data(), E, 0, dX.data(), E);
    std::fill(demb.begin(), demb.end(), 0.f);
    for (std::size_t k = 0; k < N; ++k)
        for (std::size_t e = 0; e < E; ++e) demb[x[k] * E + e] += dX[k * E + e];
    return float(loss / double(N));
}

}  // namespace bench
