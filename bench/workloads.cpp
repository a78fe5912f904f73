// SPDX-License-Identifier: MIT
#include "workloads.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <tapegrad.hpp>

#include <cells/min_gru.hpp>

#include "floor.hpp"
#include <ops/gemm.hpp>

namespace bench {
using namespace tapegrad;

namespace {
constexpr std::size_t kBatch = 32;

IndexArray random_ids(std::size_t T, std::size_t B, std::size_t vocab, Generator& g) {
    IndexArray ids = IndexArray::from_shape({T, B});
    for (auto& v : ids) v = static_cast<Index>(g.next() % vocab);
    return ids;
}

// An LSTM cell the way a user would write it: the equations op by op, with
// named gates. Hoisted: the same cell with its input projection W_ih x + b
// for all steps in one GEMM (project_inputs), the structure of the built-in
// layer; otherwise each step multiplies its own x_t.
enum class CellStyle { Ops, Hoisted };

class UserLSTMCell : public nn::RecurrentCell {
public:
    UserLSTMCell(std::size_t in, std::size_t H, CellStyle style, Generator& g) : RecurrentCell(in, H), style_(style) {
        W_ih = default_param(make_shape({4 * H, in}), g);
        W_hh = default_param(make_shape({4 * H, H}), g);
        b = default_param(make_shape({4 * H}), g);
        register_parameter("W_ih", W_ih);
        register_parameter("W_hh", W_hh);
        register_parameter("b", b);
    }
    std::size_t num_states() const override { return 2; }
    Tensor project_inputs(const Tensor& xs) const override {
        return style_ == CellStyle::Hoisted ? linear(xs, W_ih, b) : xs;
    }
    nn::State step(const Tensor& x, const nn::State& s) const override {
        Tensor xw = style_ == CellStyle::Hoisted ? x : linear(x, W_ih, b);
        auto a = chunk(xw + linear(s[0], W_hh), 4, 1);
        Tensor i = sigmoid(a[0]), f = sigmoid(a[1]), g = tanh(a[2]), o = sigmoid(a[3]);
        Tensor c = f * s[1] + i * g;
        return {o * tanh(c), c};
    }
    Tensor W_ih, W_hh, b;

private:
    CellStyle style_;
};

struct CharLM : nn::Module {
    nn::Embedding emb;
    std::unique_ptr<nn::Recurrent> rnn;
    nn::Linear out;
    CharLM(std::size_t H, bool user_cell, CellStyle style, Generator& g, std::size_t checkpoint_every = 0)
        : emb(65, 64, -1, g),
          rnn(user_cell ? std::make_unique<nn::Recurrent>(
                              [&](std::size_t in) { return std::make_unique<UserLSTMCell>(in, H, style, g); }, 64,
                              nn::RecurrentOptions().checkpoint_every(checkpoint_every))
                        : std::unique_ptr<nn::Recurrent>(std::make_unique<nn::LSTM>(
                              64, H, nn::RecurrentOptions().checkpoint_every(checkpoint_every), false, g))),
          out(H, 65, true, g) {
        register_module("emb", emb);
        register_module("rnn", *rnn);
        register_module("out", out);
    }
};

struct Seq2Seq : nn::Module {
    static constexpr std::size_t V = 40, E = 32, H = 128;
    nn::Embedding src_emb, tgt_emb;
    nn::GRU encoder;
    nn::GRUCell decoder;
    nn::Attention attn;
    nn::Linear combine, out;
    explicit Seq2Seq(Generator& g)
        : src_emb(V, E, -1, g), tgt_emb(V, E, -1, g), encoder(E, H, {}, g), decoder(E + H, H, g),
          attn(nn::Score::General, H, H, 0, g), combine(2 * H, H, true, g), out(H, V, true, g) {
        register_module("src_emb", src_emb);
        register_module("tgt_emb", tgt_emb);
        register_module("encoder", encoder);
        register_module("decoder", decoder);
        register_module("attn", attn);
        register_module("combine", combine);
        register_module("out", out);
    }
    Tensor loss(const IndexArray& src, const IndexArray& tgt_in, const IndexArray& tgt_out) {
        nn::SequenceOutput enc = encoder.forward(src_emb(src));
        Tensor keys = transpose(enc.output, 0, 1);  // [B, S, H], once per batch
        Tensor h = enc.final_states[0][0];
        Tensor context = Tensor::zeros(make_shape({src.shape()[1], H}));
        Tensor inputs = tgt_emb(tgt_in);  // [T, B, E]
        std::vector<Tensor> logits;
        for (std::size_t t = 0; t < tgt_in.shape()[0]; ++t) {
            h = decoder(concat({select(inputs, t), context}, 1), {h})[0];
            context = attn(h, keys).context;
            logits.push_back(out(tanh(combine(concat({h, context}, 1)))));
        }
        return cross_entropy(stack(logits, 0), tgt_out);
    }
};

// nn.Transformer's encoder-decoder with embeddings, sinusoidal positions and
// an output layer: d_model 128, 4 heads, feed-forward 512, 2 + 2 layers,
// dropout 0.1 (PyTorch's default), as torch_bench.py's Transformer.
struct Transformer : nn::Module {
    static constexpr std::size_t V = 40, E = 128;
    static nn::TransformerLayerOptions layer() {
        nn::TransformerLayerOptions o;
        o.d_model = E, o.nhead = 4, o.dim_feedforward = 512, o.dropout = real(0.1);
        return o;
    }
    nn::Embedding src_emb, tgt_emb;
    nn::SinusoidalPositionalEncoding pos;
    nn::TransformerEncoder encoder;
    nn::TransformerDecoder decoder;
    nn::Linear out;
    explicit Transformer(Generator& g)
        : src_emb(V, E, -1, g), tgt_emb(V, E, -1, g), pos(E, 64), encoder(layer(), 2, true, g),
          decoder(layer(), 2, true, g), out(E, V, true, g) {
        register_module("src_emb", src_emb);
        register_module("tgt_emb", tgt_emb);
        register_module("encoder", encoder);
        register_module("decoder", decoder);
        register_module("out", out);
    }
    Tensor loss(const IndexArray& src, const IndexArray& tgt_in, const IndexArray& tgt_out, const Tensor& causal) {
        Tensor memory = encoder(pos(src_emb(src)));
        return cross_entropy(out(decoder(pos(tgt_emb(tgt_in)), memory, causal)), tgt_out);
    }
};

// A decoder-only character LM (GPT-style): learned positions, pre-norm GELU
// layers under a causal mask, d_model 128, 4 heads, feed-forward 512, 2 layers.
struct TransformerLM : nn::Module {
    static constexpr std::size_t V = 65, E = 128;
    static nn::TransformerLayerOptions layer() {
        nn::TransformerLayerOptions o = Transformer::layer();
        o.norm_first = true, o.activation = nn::Activation::GELU;
        return o;
    }
    nn::Embedding emb;
    nn::LearnedPositionalEncoding pos;
    nn::TransformerEncoder blocks;
    nn::Linear out;
    TransformerLM(std::size_t T, Generator& g)
        : emb(V, E, -1, g), pos(T, E, g), blocks(layer(), 2, true, g), out(E, V, true, g) {
        register_module("emb", emb);
        register_module("pos", pos);
        register_module("blocks", blocks);
        register_module("out", out);
    }
};

template <class F>
Workload training(std::string name, std::shared_ptr<nn::Module> model, F loss, double flops) {
    auto opt = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{real(1e-3)});
    return {std::move(name),
            [model, opt, loss] {
                Profiler* prof = active_profiler();  // bench --profile
                opt->zero_grad();
                loss().backward();
                optim::clip_grad_norm(model->parameters(), 5.0);
                if (prof) prof->mark("(clip_grad_norm)");
                opt->step();
                if (prof) prof->mark("(adam)");
            },
            flops};
}

// 2 * multiply-adds of the GEMMs of one char-LM step, forward and backward
double charlm_flops(std::size_t T, std::size_t H) {
    const double TB = double(T) * kBatch, E = 64, V = 65;
    const double fwd = TB * E * 4 * H + TB * H * 4 * H + TB * H * V;
    return 2 * 3 * fwd;  // backward = 2 GEMMs per forward GEMM
}
}  // namespace

Workload make_workload(const std::string& name, std::size_t T_override, std::size_t checkpoint_every) {
    auto gen = std::make_shared<Generator>(1234);
    const bool lstm = name.rfind("lstm128", 0) == 0 || name.rfind("lstm512", 0) == 0;
    const std::string kind = lstm && name.size() > 7 ? name.substr(7) : "";  // "", "_cell", "_hoisted"
    if (lstm && (kind.empty() || kind == "_cell" || kind == "_hoisted")) {
        const std::size_t H = name.find("512") != std::string::npos ? 512 : 128;
        const std::size_t T = T_override ? T_override : 64;
        const CellStyle style = kind == "_hoisted" ? CellStyle::Hoisted : CellStyle::Ops;
        auto model = std::make_shared<CharLM>(H, !kind.empty(), style, *gen);
        auto x = std::make_shared<IndexArray>(random_ids(T, kBatch, 65, *gen));
        auto y = std::make_shared<IndexArray>(random_ids(T, kBatch, 65, *gen));
        if (checkpoint_every > 0) {
            // the whole step in segments of k steps (ops/checkpoint.hpp): embedding, LSTM, head and loss
            // of a segment are kept only while it runs
            auto segment = [model, x, y](std::size_t t0, std::size_t t1, const std::vector<Tensor>& st) {
                auto rows = [t0, t1](const IndexArray& a) {  // time steps [t0, t1) of [T, B] ids
                    const std::size_t B = a.shape()[1];
                    IndexArray r = IndexArray::from_shape({t1 - t0, B});
                    std::copy(a.data() + t0 * B, a.data() + t1 * B, r.data());
                    return r;
                };
                const IndexArray xs = rows(*x), ys = rows(*y);
                nn::SequenceOutput o = model->rnn->forward(model->emb(xs), nn::RecurrentArgs().initial({nn::State(st)}));
                std::vector<Tensor> out{cross_entropy(model->out(o.output), ys, -100, Reduction::Sum)};
                for (const Tensor& s : o.final_states[0]) out.push_back(s);
                return out;
            };
            const std::size_t k = checkpoint_every;
            return training(
                name, model,
                [model, segment, T, H, k] {
                    const Tensor zero = Tensor::zeros(make_shape({kBatch, H}));
                    return checkpointed_loss(T, k, {zero, zero}, segment)[0] / real(T * kBatch);
                },
                charlm_flops(T, H));
        }
        return training(
            name, model, [model, x, y] { return cross_entropy(model->out(model->rnn->forward(model->emb(*x)).output), *y); },
            charlm_flops(T, H));
    }
    if (name == "lstm128_layer" || name == "lstm512_layer") {
        // The LSTM layer alone, the work oneDNN's lstm_forward + lstm_backward do
        // (bench/dnnl_lstm.cpp): forward over x [T, B, 64], backward from a fixed
        // output gradient, giving dx and the weight gradients. No embedding,
        // output layer, loss or optimizer.
        const std::size_t H = name == "lstm512_layer" ? 512 : 128, T = T_override ? T_override : 64;
        auto lstm = std::make_shared<nn::LSTM>(64, H, nn::RecurrentOptions(), false, *gen);
        auto x = std::make_shared<Tensor>(rand_uniform(make_shape({T, kBatch, 64}), -1, 1, *gen, true));
        auto dy = std::make_shared<Array>(rand_uniform(make_shape({T, kBatch, H}), -1, 1, *gen).value());
        const double E = 64, TB = double(T) * kBatch;
        return {name,
                [lstm, x, dy] {
                    lstm->zero_grad();
                    x->zero_grad();
                    lstm->forward(*x).output.backward(*dy);
                },
                2 * 3 * (TB * E * 4 * H + TB * H * 4 * H)};
    }
    if (name.rfind("mingru_", 0) == 0 || name.rfind("minlstm_", 0) == 0) {
        // a minGRU / minLSTM layer alone (cells/min_gru.hpp), forward + backward,
        // step by step (nn::Recurrent over the cell) or as one log-space scan;
        // "_b4": a batch of 4 instead of 32
        const std::size_t H = 128, T = T_override ? T_override : 256;
        const std::size_t B = name.size() > 3 && name.compare(name.size() - 3, 3, "_b4") == 0 ? 4 : kBatch;
        const bool gru = name.rfind("mingru", 0) == 0, scan = name.find("_scan") != std::string::npos;
        auto layer = std::make_shared<nn::Recurrent>(
            [&](std::size_t in) -> std::unique_ptr<nn::RecurrentCell> {
                if (gru) return std::make_unique<cells::MinGRUCell>(in, H, *gen);
                return std::make_unique<cells::MinLSTMCell>(in, H, *gen);
            },
            64);
        auto x = std::make_shared<Tensor>(rand_uniform(make_shape({T, B, 64}), -1, 1, *gen, true));
        auto dy = std::make_shared<Array>(rand_uniform(make_shape({T, B, H}), -1, 1, *gen).value());
        return {name,
                [layer, x, dy, gru, scan] {
                    layer->zero_grad();
                    x->zero_grad();
                    Tensor y;
                    if (!scan) y = layer->forward(*x).output;
                    else if (gru) y = static_cast<const cells::MinGRUCell&>(layer->cell(0)).scan(*x).output;
                    else y = static_cast<const cells::MinLSTMCell&>(layer->cell(0)).scan(*x).output;
                    y.backward(*dy);
                },
                0};
    }
    if (name == "seq2seq") {
        auto model = std::make_shared<Seq2Seq>(*gen);
        auto src = std::make_shared<IndexArray>(random_ids(20, kBatch, 40, *gen));
        auto tin = std::make_shared<IndexArray>(random_ids(20, kBatch, 40, *gen));
        auto tout = std::make_shared<IndexArray>(random_ids(20, kBatch, 40, *gen));
        return training(name, model, [model, src, tin, tout] { return model->loss(*src, *tin, *tout); }, 0);
    }
    if (name == "transformer") {
        auto model = std::make_shared<Transformer>(*gen);
        auto src = std::make_shared<IndexArray>(random_ids(20, kBatch, 40, *gen));
        auto tin = std::make_shared<IndexArray>(random_ids(20, kBatch, 40, *gen));
        auto tout = std::make_shared<IndexArray>(random_ids(20, kBatch, 40, *gen));
        auto causal = std::make_shared<Tensor>(nn::MultiheadAttention::causal_mask(20));
        return training(name, model, [model, src, tin, tout, causal] { return model->loss(*src, *tin, *tout, *causal); },
                        0);
    }
    if (name == "transformer_lm") {
        const std::size_t T = T_override ? T_override : 64;
        auto model = std::make_shared<TransformerLM>(T, *gen);
        auto x = std::make_shared<IndexArray>(random_ids(T, kBatch, 65, *gen));
        auto y = std::make_shared<IndexArray>(random_ids(T, kBatch, 65, *gen));
        auto causal = std::make_shared<Tensor>(nn::MultiheadAttention::causal_mask(T));
        return training(name, model, [model, x, y, causal] {
            return cross_entropy(model->out(model->blocks(model->pos(model->emb(*x)), *causal)), *y);
        }, 0);
    }
    if (name == "floor128" || name == "floor512") {
        const std::size_t H = name == "floor512" ? 512 : 128;
        auto f = std::make_shared<FusedLSTM>(64, H, 65, 64, kBatch, 1234);
        return {name, [f] { f->train_step(); }, charlm_flops(64, H)};
    }
    throw std::invalid_argument("unknown workload '" + name + "'");
}

double sgemm_rate_lstm(std::size_t H) {
    // The step's GEMM shapes: input projection [T*B, E] x [E, 4H], recurrent
    // [B, H] x [H, 4H] T times, output [T*B, H] x [H, V]; timed forward only.
    const std::size_t T = 64, B = kBatch, E = 64, V = 65;
    Array x = Array::from_shape({T * B, E}), wih = Array::from_shape({4 * H, E}), whh = Array::from_shape({4 * H, H});
    Array h = Array::from_shape({B, H}), hs = Array::from_shape({T * B, H}), wo = Array::from_shape({V, H});
    Array g = Array::from_shape({T * B, 4 * H}), o = Array::from_shape({T * B, V});
    for (Array* a : {&x, &wih, &whh, &h, &hs, &wo}) a->fill(real(0.01));
    const double flops = 2.0 * (double(T * B) * E * 4 * H + double(T) * B * H * 4 * H + double(T * B) * H * V);
    double best = 1e30;
    for (int rep = 0; rep < 30; ++rep) {  // best of many: a single rep is a few ms
        auto t0 = std::chrono::steady_clock::now();
        gemm(false, true, T * B, 4 * H, E, 1, x.data(), E, wih.data(), E, 0, g.data(), 4 * H);
        for (std::size_t t = 0; t < T; ++t)
            gemm(false, true, B, 4 * H, H, 1, h.data(), H, whh.data(), H, 1, g.data() + t * B * 4 * H, 4 * H);
        gemm(false, true, T * B, V, H, 1, hs.data(), H, wo.data(), H, 0, o.data(), V);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return flops / best / 1e9;
}

}  // namespace bench
