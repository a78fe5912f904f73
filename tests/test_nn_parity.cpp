// SPDX-License-Identifier: MIT
// PyTorch parity: nn.RNN / nn.LSTM / nn.GRU (2 layers, uni- and
// bidirectional, and with packed variable lengths), nn.Linear and
// nn.Embedding. Weights are PyTorch's state_dicts exported with np.savez
// (tools/make_fixtures.py); they load by name, and outputs, final states and
// every gradient must agree.
#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;

namespace {
// float32 against float64 references over a few dozen ops
constexpr double kTol = kDouble ? 1e-9 : 2e-5;

NamedArrays prefixed(const NamedArrays& all, const std::string& prefix) {
    NamedArrays out;
    for (const auto& [k, v] : all)
        if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = v;
    return out;
}

IndexArray to_ids(const Array& a) {
    IndexArray ids = IndexArray::from_shape(a.shape());
    for (std::size_t k = 0; k < a.size(); ++k) ids.data()[k] = static_cast<Index>(a.data()[k]);
    return ids;
}

void check_sequence_layer(Recurrent& layer, const std::string& file, bool lstm) {
    INFO("fixture " << file);
    const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/" + file);
    load_state_dict(layer, prefixed(f, "param."));
    std::vector<std::size_t> lengths;
    if (f.count("lengths"))
        for (real v : f.at("lengths")) lengths.push_back(static_cast<std::size_t>(v));
    Tensor x(f.at("x"), true);
    SequenceOutput out = layer.forward(x, lengths);
    CHECK(close(out.output.value(), f.at("out"), kTol));
    CHECK(close(out.h_n().value(), f.at("h_n"), kTol));
    Tensor loss = sum(out.output * Tensor(f.at("r"))) + sum(out.h_n() * Tensor(f.at("rh")));
    if (lstm) {
        CHECK(close(out.c_n().value(), f.at("c_n"), kTol));
        loss = loss + sum(out.c_n() * Tensor(f.at("rc")));
    }
    loss.backward();
    CHECK(close(x.grad(), f.at("dx"), kTol));
    for (const auto& [name, p] : layer.named_parameters()) {
        INFO("gradient of " << name);
        CHECK(close(p.grad(), f.at("grad." + name), kTol));
    }
}
}  // namespace

TEST_CASE("parity: nn.RNN, 2 layers, uni- and bidirectional, packed lengths", "[parity]") {
    const auto uni = RecurrentOptions().num_layers(2), bi = RecurrentOptions().num_layers(2).bidirectional(true);
    RNN a(4, 6, uni), b(4, 6, bi), c(4, 6, bi);
    check_sequence_layer(a, "rnn.npz", false);
    check_sequence_layer(b, "rnn_bi.npz", false);
    check_sequence_layer(c, "rnn_bi_lengths.npz", false);
}

TEST_CASE("parity: nn.LSTM, 2 layers, uni- and bidirectional, packed lengths", "[parity]") {
    const auto uni = RecurrentOptions().num_layers(2), bi = RecurrentOptions().num_layers(2).bidirectional(true);
    LSTM a(4, 6, uni), b(4, 6, bi), c(4, 6, bi);
    check_sequence_layer(a, "lstm.npz", true);
    check_sequence_layer(b, "lstm_bi.npz", true);
    check_sequence_layer(c, "lstm_bi_lengths.npz", true);
}

TEST_CASE("parity: nn.GRU, 2 layers, uni- and bidirectional, packed lengths", "[parity]") {
    const auto uni = RecurrentOptions().num_layers(2), bi = RecurrentOptions().num_layers(2).bidirectional(true);
    GRU a(4, 6, uni), b(4, 6, bi), c(4, 6, bi);
    check_sequence_layer(a, "gru.npz", false);
    check_sequence_layer(b, "gru_bi.npz", false);
    check_sequence_layer(c, "gru_bi_lengths.npz", false);
}

TEST_CASE("parity: nn.Embedding with padding_idx into nn.Linear", "[parity]") {
    const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/linear_embedding.npz");
    Embedding emb(7, 4, 0);
    Linear lin(4, 3);
    load_state_dict(emb, prefixed(f, "emb."));
    load_state_dict(lin, prefixed(f, "lin."));
    Tensor y = lin(emb(to_ids(f.at("ids"))));
    CHECK(close(y.value(), f.at("y"), kTol));
    sum(y * Tensor(f.at("r"))).backward();
    CHECK(close(emb.weight.grad(), f.at("grad.emb.weight"), kTol));
    CHECK(close(lin.weight.grad(), f.at("grad.lin.weight"), kTol));
    CHECK(close(lin.bias.grad(), f.at("grad.lin.bias"), kTol));
}

TEST_CASE("parity: nn.LayerNorm and F.gelu (both forms), values and gradients", "[parity]") {
    const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/layer_norm_gelu.npz");
    Tensor x(f.at("x"), true), w(f.at("weight"), true), b(f.at("bias"), true);
    Tensor y = layer_norm(x, w, b);  // PyTorch's eps, 1e-5
    CHECK(close(y.value(), f.at("y"), kTol));
    sum(y * Tensor(f.at("r"))).backward();
    CHECK(close(x.grad(), f.at("dx"), kTol));
    CHECK(close(w.grad(), f.at("dweight"), kTol));
    CHECK(close(b.grad(), f.at("dbias"), kTol));
    Tensor z(f.at("z"), true);
    Tensor ge = gelu(z), gt = gelu(z, GeluForm::Tanh);
    CHECK(close(ge.value(), f.at("gelu"), kTol));
    CHECK(close(gt.value(), f.at("gelu_tanh"), kTol));
    (sum(ge) + real(2) * sum(gt)).backward();
    CHECK(close(z.grad(), f.at("dz"), kTol));
}

TEST_CASE("parity: nn.MultiheadAttention, self (padding and causal masks) and cross attention", "[parity]") {
    for (const char* tag : {"self", "cross"}) {
        INFO(tag);
        const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/mha_" + tag + ".npz");
        MultiheadAttention mha(8, 2);
        load_state_dict(mha, prefixed(f, "param."));
        const bool self = f.count("k") == 0;
        Tensor q(f.at("q"), true), k = self ? q : Tensor(f.at("k"), true), v = self ? q : Tensor(f.at("v"), true);
        MultiheadAttentionOutput o =
            mha(q, k, v, Tensor(f.at("pad")), f.count("causal") ? Tensor(f.at("causal")) : Tensor());
        CHECK(close(o.output.value(), f.at("out"), kTol));
        CHECK(close(o.weights.value(), f.at("weights"), kTol));
        (sum(o.output * Tensor(f.at("r"))) + sum(o.weights * Tensor(f.at("rw")))).backward();
        CHECK(close(q.grad(), f.at("dq"), kTol));
        if (!self) {
            CHECK(close(k.grad(), f.at("dk"), kTol));
            CHECK(close(v.grad(), f.at("dv"), kTol));
        }
        for (const auto& [name, p] : mha.named_parameters()) {
            INFO("gradient of " << name);
            CHECK(close(p.grad(), f.at("grad." + name), kTol));
        }
    }
}

TEST_CASE("MultiheadAttention: a query that may attend nowhere gets zero weights, never NaN", "[values]") {
    MultiheadAttention mha(4, 2);
    Tensor x = rnd({3, 2, 4}, 5);
    Tensor pad = Tensor::from({1, 1, 1, 0, 0, 1}, make_shape({2, 3}));  // sequence 0 entirely padding
    MultiheadAttentionOutput o = mha(x, x, x, pad);
    for (real w : o.weights.value()) CHECK(std::isfinite(w));
    for (real y : o.output.value()) CHECK(std::isfinite(y));
    CHECK(o.weights.at({0, 1, 2}) == 0);
    require_throws_with<ShapeError>([&] { mha(x, x, x, Tensor::zeros(make_shape({3, 2}))); },
                                    {"key_padding_mask", "[3, 2]", "[2, 3]"});
}

TEST_CASE("parity: nn.TransformerEncoderLayer and DecoderLayer, post-norm ReLU and pre-norm GELU", "[parity]") {
    for (const char* tag : {"post_relu", "pre_gelu"}) {
        INFO(tag);
        const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/transformer_" + tag + ".npz");
        TransformerLayerOptions o;
        o.d_model = 8, o.nhead = 2, o.dim_feedforward = 16, o.dropout = 0;
        o.norm_first = std::string(tag) == "pre_gelu";
        o.activation = o.norm_first ? Activation::GELU : Activation::ReLU;
        TransformerEncoderLayer enc(o);
        TransformerDecoderLayer dec(o);
        load_state_dict(enc, prefixed(f, "param.enc."));
        load_state_dict(dec, prefixed(f, "param.dec."));
        Tensor src(f.at("src"), true), tgt(f.at("tgt"), true);
        const Tensor src_pad(f.at("src_pad")), tgt_pad(f.at("tgt_pad")), causal(f.at("causal"));
        Tensor memory = enc(src, Tensor(), src_pad);
        Tensor out = dec(tgt, memory, causal, tgt_pad, src_pad);
        CHECK(close(memory.value(), f.at("memory"), kTol));
        CHECK(close(out.value(), f.at("out"), kTol));
        (sum(memory * Tensor(f.at("rm"))) + sum(out * Tensor(f.at("ro")))).backward();
        CHECK(close(src.grad(), f.at("dsrc"), kTol));
        CHECK(close(tgt.grad(), f.at("dtgt"), kTol));
        for (const auto& [name, p] : enc.named_parameters()) {
            INFO("gradient of enc." << name);
            CHECK(close(p.grad(), f.at("grad.enc." + name), kTol));
        }
        for (const auto& [name, p] : dec.named_parameters()) {
            INFO("gradient of dec." << name);
            CHECK(close(p.grad(), f.at("grad.dec." + name), kTol));
        }
    }
}

namespace {
// nn.Transformer's encoder and decoder stacks under its state_dict names
struct TransformerStacks : Module {
    explicit TransformerStacks(const TransformerLayerOptions& o) : encoder(o, 2, true), decoder(o, 2, true) {
        register_module("encoder", encoder);
        register_module("decoder", decoder);
    }
    TransformerEncoder encoder;
    TransformerDecoder decoder;
};
}  // namespace

TEST_CASE("parity: nn.Transformer's stacks, with their final norms, by state_dict name", "[parity]") {
    const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/transformer_stack.npz");
    TransformerLayerOptions o;
    o.d_model = 8, o.nhead = 2, o.dim_feedforward = 16, o.dropout = 0;
    TransformerStacks m(o);
    load_state_dict(m, prefixed(f, "param."));  // strict: every name must match PyTorch's
    Tensor src(f.at("src"), true), tgt(f.at("tgt"), true);
    const Tensor src_pad(f.at("src_pad")), causal(f.at("causal"));
    Tensor out = m.decoder(tgt, m.encoder(src, Tensor(), src_pad), causal, Tensor(), src_pad);
    CHECK(close(out.value(), f.at("out"), kTol));
    sum(out * Tensor(f.at("ro"))).backward();
    CHECK(close(src.grad(), f.at("dsrc"), kTol));
    CHECK(close(tgt.grad(), f.at("dtgt"), kTol));
    for (const auto& [name, p] : m.named_parameters()) {
        INFO("gradient of " << name);
        CHECK(close(p.grad(), f.at("grad." + name), kTol));
    }
}
