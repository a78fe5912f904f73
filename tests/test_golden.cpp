// SPDX-License-Identifier: MIT
// Golden values from PyTorch on identical inputs (tests/fixtures, written by
// tools/make_fixtures.py). PyTorch's cells are rebuilt here from tapegrad
// ops; weights are stored [out, in] there, so they are transposed once.
#include "helpers.hpp"

using namespace th;

namespace {
IndexArray to_ids(const Array& a) {
    IndexArray ids = IndexArray::from_shape(a.shape());
    for (std::size_t k = 0; k < a.size(); ++k) ids.data()[k] = static_cast<Index>(a.data()[k]);
    return ids;
}
// Gradients against float64 references: float sums of a few terms.
constexpr double kGradTol = kDouble ? 1e-9 : 1e-5;
}  // namespace

TEST_CASE("golden: softmax cross-entropy with padding matches PyTorch", "[golden]") {
    Fixture f("softmax_cross_entropy.txt");
    Tensor logits = f.leaf("logits");
    Tensor loss = cross_entropy(logits, to_ids(f["targets"]), -100);
    CHECK(close(loss.value(), f["loss"], kGradTol));
    loss.backward();
    CHECK(close(logits.grad(), f["dlogits"], kGradTol));
    CHECK(close(softmax(logits, 1).value(), f["softmax_axis1"], kGradTol));
    CHECK(close(log_softmax(logits, 0).value(), f["log_softmax_axis0"], kGradTol));
}

TEST_CASE("golden: a tanh RNN step matches torch.nn.RNNCell, outputs and gradients", "[golden]") {
    Fixture f("rnn_step.txt");
    Tensor x = f.leaf("x"), h = f.leaf("h");
    Tensor W_ih = f.leaf("weight_ih"), W_hh = f.leaf("weight_hh"), b_ih = f.leaf("bias_ih"), b_hh = f.leaf("bias_hh");
    // h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
    Tensor h1 = tanh(matmul(x, transpose(W_ih)) + b_ih + matmul(h, transpose(W_hh)) + b_hh);
    CHECK(close(h1.value(), f["h_next"], kGradTol));
    sum(h1 * Tensor(f["r"])).backward();
    CHECK(close(x.grad(), f["dx"], kGradTol));
    CHECK(close(h.grad(), f["dh"], kGradTol));
    CHECK(close(W_ih.grad(), f["dweight_ih"], kGradTol));
    CHECK(close(W_hh.grad(), f["dweight_hh"], kGradTol));
    CHECK(close(b_ih.grad(), f["dbias_ih"], kGradTol));
    CHECK(close(b_hh.grad(), f["dbias_hh"], kGradTol));
}

TEST_CASE("golden: an LSTM step matches torch.nn.LSTMCell, outputs and gradients", "[golden]") {
    Fixture f("lstm_step.txt");
    Tensor x = f.leaf("x"), h = f.leaf("h"), c = f.leaf("c");
    Tensor W_ih = f.leaf("weight_ih"), W_hh = f.leaf("weight_hh"), b_ih = f.leaf("bias_ih"), b_hh = f.leaf("bias_hh");
    // gates = x W_ih^T + b_ih + h W_hh^T + b_hh, in PyTorch's order i, f, g, o
    Tensor gates = matmul(x, transpose(W_ih)) + b_ih + matmul(h, transpose(W_hh)) + b_hh;
    auto g = chunk(gates, 4, 1);
    Tensor c1 = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);  // c_t = f*c_{t-1} + i*g
    Tensor h1 = sigmoid(g[3]) * tanh(c1);                        // h_t = o*tanh(c_t)
    CHECK(close(h1.value(), f["h_next"], kGradTol));
    CHECK(close(c1.value(), f["c_next"], kGradTol));
    (sum(h1 * Tensor(f["rh"])) + sum(c1 * Tensor(f["rc"]))).backward();
    CHECK(close(x.grad(), f["dx"], kGradTol));
    CHECK(close(h.grad(), f["dh"], kGradTol));
    CHECK(close(c.grad(), f["dc"], kGradTol));
    CHECK(close(W_ih.grad(), f["dweight_ih"], kGradTol));
    CHECK(close(W_hh.grad(), f["dweight_hh"], kGradTol));
    CHECK(close(b_ih.grad(), f["dbias_ih"], kGradTol));
    CHECK(close(b_hh.grad(), f["dbias_hh"], kGradTol));
}
