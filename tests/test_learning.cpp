// SPDX-License-Identifier: MIT
// "Trains" is checked, not assumed: each cell type must learn a small
// deterministic memory task to a loss threshold. The task: read a sequence
// of T random tokens and output, at the end, the token seen first -- the
// answer must be carried through T - 1 recurrent steps.
#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;
using namespace tapegrad::optim;

namespace {
constexpr std::size_t kVocab = 4, kT = 6, kBatch = 32;

struct Classifier : Module {
    Embedding emb;
    std::unique_ptr<Recurrent> rnn;
    Linear out;
    Classifier(std::unique_ptr<Recurrent> r, Generator& g) : emb(kVocab, 8, -1, g), rnn(std::move(r)), out(16, kVocab, true, g) {
        register_module("emb", emb);
        register_module("rnn", *rnn);
        register_module("out", out);
    }
    Tensor logits(const IndexArray& x) {
        SequenceOutput o = rnn->forward(emb(x));
        return out(select(o.output, kT - 1));  // last step's output: [B, V]
    }
};

double train_first_token(Classifier& m, int steps) {
    Generator data(123);
    Adam opt(m.parameters(), AdamOptions{real(0.02)});
    double last = 0;
    for (int s = 0; s < steps; ++s) {
        IndexArray x = IndexArray::from_shape({kT, kBatch});
        IndexArray y = IndexArray::from_shape({kBatch});
        for (auto& v : x) v = static_cast<Index>(data.next() % kVocab);
        for (std::size_t b = 0; b < kBatch; ++b) y(b) = x(0, b);
        opt.zero_grad();
        Tensor loss = cross_entropy(m.logits(x), y);
        loss.backward();
        clip_grad_norm(m.parameters(), 5.0);
        opt.step();
        last = 0.9 * last + 0.1 * loss.item();  // smoothed
        if (s == 0) last = loss.item();
    }
    return last;
}
}  // namespace

TEST_CASE("each cell type learns to remember the first token", "[learning]") {
    Generator g(42);
    std::vector<std::pair<const char*, std::unique_ptr<Recurrent>>> models;
    models.emplace_back("RNN", std::make_unique<RNN>(8, 16, RecurrentOptions{}, Nonlinearity::Tanh, g));
    models.emplace_back("LSTM", std::make_unique<LSTM>(8, 16, RecurrentOptions{}, true, g));
    models.emplace_back("GRU", std::make_unique<GRU>(8, 16, RecurrentOptions{}, g));
    for (auto& [name, rnn] : models) {
        Classifier m(std::move(rnn), g);
        const double loss = train_first_token(m, 150);
        INFO(name << ": smoothed loss after 150 steps " << loss << " (chance is log 4 = 1.386)");
        CHECK(loss < 0.1);
    }
}
