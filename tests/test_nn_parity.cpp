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
