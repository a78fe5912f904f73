// SPDX-License-Identifier: MIT
// dnnl_lstm_bench: oneDNN's LSTM primitives, the vendor CPU kernels, as a
// benchmark peer for tapegrad's LSTM layer alone (workload lstm128_layer /
// lstm512_layer): the same shapes, one layer, forward training + backward.
//   dnnl_lstm_bench --H 128 --steps 20 --warmup 3   per-step times as JSON
//   dnnl_lstm_bench --H 128 --check                 same weights and inputs
//       through both; prints the largest differences, exits 1 past 1e-4
// A step is what a training loop has to do with these primitives: reorder
// the (updated) weights into the forward and the backward primitive's
// layouts, lstm_forward (training), lstm_backward. Threads: OMP_NUM_THREADS.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>
#include <tapegrad.hpp>

namespace {
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
constexpr memory::dim kBatch = 32, kInput = 64;

float* ptr(const memory& m) { return static_cast<float*>(m.get_data_handle()); }

// One LSTM layer: input [T, B, E] -> output [T, B, H], zero initial states.
// Weights in the user's layout: ldigo (input, gate, hidden) and one bias
// ldgo; gates in PyTorch's order i, f, g, o, as oneDNN's LSTM has them.
struct DnnlLSTM {
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    dnnl::stream s{eng};
    memory::dim T, H;
    memory x, y, dx, dy;                      // tnc
    memory h0, c0, dh0, dc0;                  // ldnc; the initial states are zeros
    memory w_layer, w_iter, bias;             // user layouts, the "master" weights
    memory dw_layer, dw_iter, dbias;          // user layouts (for --check)
    memory fw_layer, fw_iter, bw_layer, bw_iter;  // the primitives' own layouts
    memory pdw_layer, pdw_iter, workspace;
    dnnl::lstm_forward fwd;
    dnnl::lstm_backward bwd;
    dnnl::reorder to_fwd_layer, to_fwd_iter, to_bwd_layer, to_bwd_iter, from_dw_layer, from_dw_iter;

    DnnlLSTM(memory::dim T_, memory::dim H_) : T(T_), H(H_) {
        const memory::dims src{T, kBatch, kInput}, dst{T, kBatch, H};
        const memory::dims wl{1, 1, kInput, 4, H}, wi{1, 1, H, 4, H}, b{1, 1, 4, H};
        auto md = [](const memory::dims& d, tag t) { return memory::desc(d, dt::f32, t); };
        const memory::dims st{1, 1, kBatch, H};
        // Initial states given as zero tensors, not as zero descriptors: with
        // the latter, oneDNN 2.6's lstm_backward reads uninitialised memory for
        // h_{-1} in the gradient of weights_iter (the --check run caught it).
        const memory::desc none, s0 = md(st, tag::ldnc);  // none: no final states
        dnnl::lstm_forward::desc fd(dnnl::prop_kind::forward_training, dnnl::rnn_direction::unidirectional_left2right,
                                    md(src, tag::tnc), s0, s0, md(wl, tag::any), md(wi, tag::any),
                                    md(b, tag::ldgo), md(dst, tag::tnc), none, none);
        dnnl::lstm_forward::primitive_desc fpd(fd, eng);
        dnnl::lstm_backward::desc bd(dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right,
                                     md(src, tag::tnc), s0, s0, md(wl, tag::any), md(wi, tag::any),
                                     md(b, tag::ldgo), md(dst, tag::tnc), none, none, md(src, tag::tnc), s0, s0,
                                     md(wl, tag::any), md(wi, tag::any), md(b, tag::ldgo), md(dst, tag::tnc), none,
                                     none);
        dnnl::lstm_backward::primitive_desc bpd(bd, eng, fpd);
        x = memory(md(src, tag::tnc), eng);
        h0 = memory(s0, eng);
        c0 = memory(s0, eng);
        dh0 = memory(s0, eng);
        dc0 = memory(s0, eng);
        for (memory* m : {&h0, &c0}) std::memset(m->get_data_handle(), 0, m->get_desc().get_size());
        dx = memory(md(src, tag::tnc), eng);
        y = memory(md(dst, tag::tnc), eng);
        dy = memory(md(dst, tag::tnc), eng);
        w_layer = memory(md(wl, tag::ldigo), eng);
        w_iter = memory(md(wi, tag::ldigo), eng);
        bias = memory(md(b, tag::ldgo), eng);
        dw_layer = memory(md(wl, tag::ldigo), eng);
        dw_iter = memory(md(wi, tag::ldigo), eng);
        dbias = memory(md(b, tag::ldgo), eng);
        fw_layer = memory(fpd.weights_layer_desc(), eng);
        fw_iter = memory(fpd.weights_iter_desc(), eng);
        bw_layer = memory(bpd.weights_layer_desc(), eng);
        bw_iter = memory(bpd.weights_iter_desc(), eng);
        pdw_layer = memory(bpd.diff_weights_layer_desc(), eng);
        pdw_iter = memory(bpd.diff_weights_iter_desc(), eng);
        workspace = memory(fpd.workspace_desc(), eng);
        fwd = dnnl::lstm_forward(fpd);
        bwd = dnnl::lstm_backward(bpd);
        to_fwd_layer = dnnl::reorder(w_layer, fw_layer);
        to_fwd_iter = dnnl::reorder(w_iter, fw_iter);
        to_bwd_layer = dnnl::reorder(w_layer, bw_layer);
        to_bwd_iter = dnnl::reorder(w_iter, bw_iter);
        from_dw_layer = dnnl::reorder(pdw_layer, dw_layer);
        from_dw_iter = dnnl::reorder(pdw_iter, dw_iter);
    }

    void step() {
        to_fwd_layer.execute(s, w_layer, fw_layer);
        to_fwd_iter.execute(s, w_iter, fw_iter);
        to_bwd_layer.execute(s, w_layer, bw_layer);
        to_bwd_iter.execute(s, w_iter, bw_iter);
        fwd.execute(s, {{DNNL_ARG_SRC_LAYER, x},
                        {DNNL_ARG_SRC_ITER, h0},
                        {DNNL_ARG_SRC_ITER_C, c0},
                        {DNNL_ARG_WEIGHTS_LAYER, fw_layer},
                        {DNNL_ARG_WEIGHTS_ITER, fw_iter},
                        {DNNL_ARG_BIAS, bias},
                        {DNNL_ARG_DST_LAYER, y},
                        {DNNL_ARG_WORKSPACE, workspace}});
        // lstm_backward adds into the weight gradients, as a framework's
        // accumulation would; a step starts them at zero.
        std::memset(pdw_layer.get_data_handle(), 0, pdw_layer.get_desc().get_size());
        std::memset(pdw_iter.get_data_handle(), 0, pdw_iter.get_desc().get_size());
        std::memset(dbias.get_data_handle(), 0, dbias.get_desc().get_size());
        bwd.execute(s, {{DNNL_ARG_SRC_LAYER, x},
                        {DNNL_ARG_SRC_ITER, h0},
                        {DNNL_ARG_SRC_ITER_C, c0},
                        {DNNL_ARG_DIFF_SRC_ITER, dh0},
                        {DNNL_ARG_DIFF_SRC_ITER_C, dc0},
                        {DNNL_ARG_WEIGHTS_LAYER, bw_layer},
                        {DNNL_ARG_WEIGHTS_ITER, bw_iter},
                        {DNNL_ARG_BIAS, bias},
                        {DNNL_ARG_DST_LAYER, y},
                        {DNNL_ARG_DIFF_SRC_LAYER, dx},
                        {DNNL_ARG_DIFF_WEIGHTS_LAYER, pdw_layer},
                        {DNNL_ARG_DIFF_WEIGHTS_ITER, pdw_iter},
                        {DNNL_ARG_DIFF_BIAS, dbias},
                        {DNNL_ARG_DIFF_DST_LAYER, dy},
                        {DNNL_ARG_WORKSPACE, workspace}});
        s.wait();
    }

    void weight_gradients_to_user_layout() {
        from_dw_layer.execute(s, pdw_layer, dw_layer);
        from_dw_iter.execute(s, pdw_iter, dw_iter);
        s.wait();
    }
};

// tapegrad's weight [4H, in] (row g*H + j, column i) is oneDNN's ldigo
// element (i, g, j): the same numbers transposed.
void to_ldigo(const tapegrad::Array& w, float* out, std::size_t in, std::size_t H) {
    for (std::size_t i = 0; i < in; ++i)
        for (std::size_t r = 0; r < 4 * H; ++r) out[i * 4 * H + r] = static_cast<float>(w(r, i));
}

double max_rel_diff(const float* a, const tapegrad::Array& b, const std::vector<std::size_t>& index_of_b) {
    double worst = 0, scale = 1e-3;
    for (std::size_t k = 0; k < index_of_b.size(); ++k) scale = std::max(scale, double(std::abs(b.data()[index_of_b[k]])));
    for (std::size_t k = 0; k < index_of_b.size(); ++k)
        worst = std::max(worst, std::abs(double(a[k]) - double(b.data()[index_of_b[k]])) / scale);
    return worst;
}
std::vector<std::size_t> identity(std::size_t n) {
    std::vector<std::size_t> v(n);
    for (std::size_t k = 0; k < n; ++k) v[k] = k;
    return v;
}
std::vector<std::size_t> ldigo_of(std::size_t in, std::size_t H) {  // ldigo position -> [4H, in] position
    std::vector<std::size_t> v(in * 4 * H);
    for (std::size_t i = 0; i < in; ++i)
        for (std::size_t r = 0; r < 4 * H; ++r) v[i * 4 * H + r] = r * in + i;
    return v;
}

// Runs both on the same weights, input and output gradient.
int check(std::size_t H, std::size_t T) {
    using namespace tapegrad;
    Generator gen(7);
    nn::LSTM lstm(kInput, H, nn::RecurrentOptions(), false, gen);
    Tensor x = rand_uniform(make_shape({T, std::size_t(kBatch), std::size_t(kInput)}), -1, 1, gen, true);
    Array dy = rand_uniform(make_shape({T, std::size_t(kBatch), H}), -1, 1, gen).value();
    Tensor y = lstm(x).output;
    y.backward(dy);
    const nn::LSTMCell& c = lstm.cell(0);

    DnnlLSTM d{memory::dim(T), memory::dim(H)};
    std::copy(x.data(), x.data() + x.numel(), ptr(d.x));
    std::copy(dy.data(), dy.data() + dy.size(), ptr(d.dy));
    to_ldigo(c.weight_ih.value(), ptr(d.w_layer), kInput, H);
    to_ldigo(c.weight_hh.value(), ptr(d.w_iter), H, H);
    for (std::size_t r = 0; r < 4 * H; ++r) ptr(d.bias)[r] = c.bias_ih.value()(r) + c.bias_hh.value()(r);
    d.step();
    d.step();  // twice: the second must not add to the first's gradients
    d.weight_gradients_to_user_layout();

    const struct {
        const char* what;
        double diff;
    } rows[] = {
        {"output", max_rel_diff(ptr(d.y), y.value(), identity(y.numel()))},
        {"d input", max_rel_diff(ptr(d.dx), x.grad(), identity(x.numel()))},
        {"d weight_ih", max_rel_diff(ptr(d.dw_layer), c.weight_ih.grad(), ldigo_of(kInput, H))},
        {"d weight_hh", max_rel_diff(ptr(d.dw_iter), c.weight_hh.grad(), ldigo_of(H, H))},
        {"d bias", max_rel_diff(ptr(d.dbias), c.bias_ih.grad(), identity(4 * H))},
    };
    bool ok = true;
    for (const auto& r : rows) {
        std::printf("oneDNN vs tapegrad, H=%zu T=%zu, %-12s largest difference %.2e of the largest value\n", H, T,
                    r.what, r.diff);
        ok = ok && r.diff < 1e-4;
    }
    return ok ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv) {
    std::size_t H = 128, T = 64;
    int steps = 20, warmup = 3;
    bool do_check = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : "";
        if (a == "--check") do_check = true;
        else if (a == "--H") H = std::strtoul(v, nullptr, 10), ++i;
        else if (a == "--T") T = std::strtoul(v, nullptr, 10), ++i;
        else if (a == "--steps") steps = std::atoi(v), ++i;
        else if (a == "--warmup") warmup = std::atoi(v), ++i;
        else {
            std::fprintf(stderr, "usage: dnnl_lstm_bench [--H 128] [--T 64] [--steps 20] [--warmup 3] [--check]\n");
            return 2;
        }
    }
    if (H < 1 || T < 1 || steps < 1 || warmup < 0) {
        std::fprintf(stderr, "dnnl_lstm_bench: H, T and steps must be at least 1\n");
        return 2;
    }
    try {
        if (do_check) return check(H, T);
        DnnlLSTM d{memory::dim(T), memory::dim(H)};
        tapegrad::Generator gen(1234);  // values as tapegrad's workload draws them: uniform(-1, 1) data,
        for (memory* m : {&d.x, &d.dy})  // small weights
            for (std::size_t k = 0; k < m->get_desc().get_size() / sizeof(float); ++k) ptr(*m)[k] = float(gen.uniform(-1, 1));
        const float bound = float(1 / std::sqrt(double(H)));
        for (memory* m : {&d.w_layer, &d.w_iter, &d.bias})
            for (std::size_t k = 0; k < m->get_desc().get_size() / sizeof(float); ++k)
                ptr(*m)[k] = float(gen.uniform(-bound, bound));
        std::vector<double> ms;
        for (int s = 0; s < warmup + steps; ++s) {
            auto t0 = std::chrono::steady_clock::now();
            d.step();
            const double dt_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            if (s >= warmup) ms.push_back(dt_ms);
        }
        std::printf("{\"workload\": \"dnnl_lstm%zu\", \"times_ms\": [", H);
        for (std::size_t i = 0; i < ms.size(); ++i) std::printf("%s%.4f", i ? ", " : "", ms[i]);
        std::printf("]}\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dnnl_lstm_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
