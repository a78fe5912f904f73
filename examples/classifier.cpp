// SPDX-License-Identifier: MIT
// Many-to-one sequence classification (sentiment-style): an embedding, a
// bidirectional LSTM over sentences of different lengths, and either the
// final states or attention pooling (a learned query attends over the words)
// feeding a linear classifier. The labelled set is generated: sentences of
// filler, positive and negative words, where "not" flips the next one; the
// label is the sign of the total.
//
//   classifier [--pool last|attention] [--steps 400]
#include <filesystem>
#include <fmt/core.h>
#include <random>
#include <tapegrad_train.hpp>

using namespace tapegrad;

namespace {
const std::vector<std::string> kPositive = {"good", "great", "love", "fine", "happy", "superb"};
const std::vector<std::string> kNegative = {"bad", "awful", "hate", "poor", "sad", "boring"};
const std::vector<std::string> kFiller = {"the", "movie", "was", "and", "plot", "actors", "very", "quite", "a", "it", "story"};

struct Example {
    std::string text;
    Index label;
};

Example make_example(std::mt19937_64& rng) {
    for (;;) {
        const std::size_t n = 4 + rng() % 12;
        std::string text;
        int score = 0;
        bool negate = false;
        for (std::size_t i = 0; i < n; ++i) {
            std::string w;
            const auto r = rng() % 10;
            if (r < 2) w = kPositive[rng() % kPositive.size()], score += negate ? -1 : 1, negate = false;
            else if (r < 4) w = kNegative[rng() % kNegative.size()], score += negate ? 1 : -1, negate = false;
            else if (r < 5) w = "not", negate = true;
            else w = kFiller[rng() % kFiller.size()];
            text += (text.empty() ? "" : " ") + w;
        }
        if (score != 0) return {text, score > 0 ? 1 : 0};
    }
}

struct Classifier : nn::Module {
    nn::Embedding emb;
    nn::LSTM lstm;
    nn::Attention attn;
    Tensor query;  // the learned question "which words matter?"
    nn::Linear out;
    bool attention_pool;
    Classifier(std::size_t V, bool attention, Generator& g)
        : emb(V, 32, train::Vocab::pad, g), lstm(32, 64, bidirectional(), false, g),
          attn(nn::Score::Additive, 64, 128, 64, g), out(128, 2, true, g), attention_pool(attention) {
        query = rand_uniform(make_shape({1, 64}), -0.1, 0.1, g);
        register_module("emb", emb);
        register_module("lstm", lstm);
        register_module("out", out);
        if (attention) {
            register_module("attn", attn);
            register_parameter("query", query);
        }
    }
    static nn::RecurrentOptions bidirectional() {
        nn::RecurrentOptions o;
        o.bidirectional(true);
        return o;
    }
    // logits [B, 2] and, with attention pooling, the weights [B, T]
    std::pair<Tensor, Tensor> forward(const train::PaddedBatch& b) {
        nn::SequenceOutput o = lstm.forward(emb(b.ids), b.lengths);
        if (!attention_pool) {  // the two directions' final states: each has read the whole sentence
            return {out(concat({o.final_states[0][0], o.final_states[1][0]}, 1)), Tensor()};
        }
        IndexArray zeros = IndexArray::from_shape({b.batch()});
        zeros.fill(0);
        nn::AttentionResult a = attn(index_select(query, zeros), transpose(o.output, 0, 1), b.mask());
        return {out(a.context), a.weights};
    }
};

train::PaddedBatch encode(const std::vector<Example>& ex, const train::Vocab& v, IndexArray& labels) {
    std::vector<std::vector<Index>> seqs;
    labels = IndexArray::from_shape({ex.size()});
    for (std::size_t i = 0; i < ex.size(); ++i) seqs.push_back(v.encode(ex[i].text)), labels(i) = ex[i].label;
    return train::pad_batch(seqs, train::Vocab::pad);
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Sentence classification with a bidirectional LSTM: final state or attention pooling.", "classifier"};
    app.option_defaults()->always_capture_default();
    std::string pool = "attention", out_dir = "runs/classifier";
    long steps = 400, batch = 32, seed = 1;
    double require = 0;
    bool resume = false;
    app.add_option("--pool", pool, "how the states become one vector")->check(CLI::IsMember({"last", "attention"}));
    app.add_option("--steps", steps, "training steps in all (a resumed run goes on to this step)")
        ->check(CLI::Range(1L, train::kMaxCount));
    app.add_option("--batch", batch, "sentences per batch")->check(CLI::Range(1L, 100000L));
    app.add_option("--seed", seed, "random seed")->check(CLI::Range(0L, train::kMaxCount));
    app.add_option("--require-accuracy", require, "exit 1 unless held-out accuracy reaches this")
        ->check(train::real_range(0, 1));
    app.add_option("--out", out_dir, "directory for the checkpoint")->check(train::OutputDir);
    app.add_flag("--resume", resume, "continue from the checkpoint in --out");
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
    std::string all;
    for (const auto* list : {&kPositive, &kNegative, &kFiller})
        for (const auto& w : *list) all += w + " ";
    const train::Vocab v = train::Vocab::words(all + "not");
    // the training data's generator goes into the checkpoint: a resumed run draws the sentences it would have
    Generator data_gen(static_cast<std::uint64_t>(seed));
    std::mt19937_64 test_rng(static_cast<std::uint64_t>(seed) + 99);
    std::vector<Example> test;
    for (int i = 0; i < 1000; ++i) test.push_back(make_example(test_rng));

    Generator g(static_cast<std::uint64_t>(seed));
    Classifier model(v.size(), pool == "attention", g);
    optim::Adam opt(model.parameters(), optim::AdamOptions{real(3e-3)});
    std::filesystem::create_directories(out_dir);
    const std::string ckpt = out_dir + "/checkpoint-" + pool + ".npz";
    // what the checkpoint carries beside model and optimizer: the data's generator and the step
    nn::RunState run{{{"data", &data_gen}}, {}, {}};
    const long first = train::resume_from(resume, ckpt, model, opt, run);
    train::Progress progress(std::size_t(steps), "train", 100);
    for (long s = first; s <= steps; ++s) {
        std::vector<Example> ex;
        for (long i = 0; i < batch; ++i) ex.push_back(make_example(data_gen.engine()));
        IndexArray labels;
        train::PaddedBatch b = encode(ex, v, labels);
        opt.zero_grad();
        Tensor loss = cross_entropy(model.forward(b).first, labels);
        loss.backward();
        optim::clip_grad_norm(model.parameters(), 5.0);
        opt.step();
        std::size_t tokens = 0;
        for (auto l : b.lengths) tokens += l;
        progress.update(std::size_t(s), loss.item(), tokens);
    }
    progress.finish();
    run.counters["step"] = std::max(steps, first - 1);
    nn::save_checkpoint(ckpt, model, &opt, run);

    NoGradGuard ng;
    model.eval();
    IndexArray labels;
    train::PaddedBatch b = encode(test, v, labels);
    auto [logits, weights] = model.forward(b);
    std::size_t right = 0;
    for (std::size_t i = 0; i < test.size(); ++i) right += (logits.at({i, 1}) > logits.at({i, 0})) == (labels(i) == 1);
    const double acc = double(right) / double(test.size());
    for (std::size_t i = 0; i < 5; ++i) {
        fmt::print("  {:<60} {}", test[i].text, logits.at({i, 1}) > logits.at({i, 0}) ? "positive" : "negative");
        if (weights.defined()) {
            std::size_t best = 0;
            for (std::size_t t = 0; t < b.lengths[i]; ++t)
                if (weights.at({i, t}) > weights.at({i, best})) best = t;
            fmt::print("  (most attended: '{}', {:.2f})", v.token(b.ids(best, i)), weights.at({i, best}));
        }
        fmt::print("\n");
    }
    fmt::print("held-out accuracy ({} pooling): {:.1f}% of {} sentences\n", pool, 100 * acc, test.size());
    return acc >= require ? 0 : 1;
}

int main(int argc, char** argv) { return train::guarded_main("classifier", run, argc, argv); }
