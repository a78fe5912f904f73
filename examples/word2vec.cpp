// SPDX-License-Identifier: MIT
// word2vec: skip-gram with negative sampling (Mikolov et al. 2013). Each word
// predicts the words around it; the loss for a (center c, context o) pair
// with K sampled "noise" words n_k is
//     -log sigma(u_o . v_c) - sum_k log sigma(-u_{n_k} . v_c)
// written as two-class cross-entropies, which stay finite for any score.
// Prints the nearest neighbours of a few words by cosine similarity.
//
//   word2vec --data ../shared/data/tinyshakespeare.txt --words king,love,night
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <random>
#include <sstream>
#include <tapegrad_train.hpp>

using namespace tapegrad;

namespace {
std::string clean(const std::string& text) {  // lower case, letters and apostrophes only
    std::string o;
    for (char c : text) {
        const unsigned char u = static_cast<unsigned char>(c);
        o += std::isalpha(u) || c == '\'' ? static_cast<char>(std::tolower(u)) : ' ';
    }
    return o;
}

// -log sigma(s) for label 1, -log sigma(-s) for label 0, summed: cross-entropy
// over the logits [0, s].
Tensor logistic_loss(const Tensor& scores, Index label) {
    const std::size_t n = scores.numel();
    Tensor flat = reshape(scores, {static_cast<std::ptrdiff_t>(n)});
    IndexArray targets = IndexArray::from_shape({n});
    targets.fill(label);
    return cross_entropy(stack({Tensor::zeros(make_shape({n})), flat}, 1), targets, -100, Reduction::Sum);
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Skip-gram word vectors with negative sampling; prints nearest neighbours.", "word2vec"};
    app.option_defaults()->always_capture_default();
    std::string data, words_arg, out_dir = "runs/word2vec";
    long dim = 64, window = 3, negatives = 5, vocab_max = 4000, steps = 3000, batch = 256, seed = 1, neighbours = 5;
    double require_drop = 0;
    bool resume = false;
    app.add_option("--data", data, "text file")->required();
    app.add_option("--words", words_arg, "comma-separated words to show neighbours for");
    app.add_option("--neighbours", neighbours, "nearest neighbours to show for each")->check(CLI::Range(1L, 1000L));
    app.add_option("--dim", dim, "vector size")->check(CLI::Range(1L, 16384L));
    app.add_option("--window", window, "context words on each side")->check(CLI::Range(1L, 1000L));
    app.add_option("--negatives", negatives, "noise words per pair")->check(CLI::Range(1L, 1000L));
    app.add_option("--vocab", vocab_max, "keep the most frequent words")->check(CLI::Range(5L, train::kMaxCount));
    app.add_option("--steps", steps, "training steps in all (a resumed run goes on to this step)")
        ->check(CLI::Range(1L, train::kMaxCount));
    app.add_option("--batch", batch, "pairs per step")->check(CLI::Range(1L, 1000000L));
    app.add_option("--seed", seed, "random seed")->check(CLI::Range(0L, train::kMaxCount));
    app.add_option("--require-loss-ratio", require_drop, "exit 1 unless final/first loss is below this")
        ->check(train::real_range(0, 1e9));
    app.add_option("--out", out_dir, "directory for the vectors and vocabulary")->check(train::OutputDir);
    app.add_flag("--resume", resume, "continue from the vectors in --out");
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
    const std::string text = clean(train::load_text(data));
    const train::Vocab v = train::Vocab::words(text, std::size_t(vocab_max), 2);
    std::vector<Index> ids;
    for (Index id : v.encode(text))
        if (id != train::Vocab::unk) ids.push_back(id);
    if (ids.size() < std::size_t(2 * window + 2)) fail<ValueError>("{}: too few known words", data);
    fmt::print("{}: {} words in vocabulary, {} tokens\n", data, v.size(), ids.size());

    // noise distribution: unigram counts ^ 0.75
    std::vector<double> weight(v.size(), 0);
    for (Index id : ids) weight[std::size_t(id)] += 1;
    for (double& w : weight) w = std::pow(w, 0.75);
    std::discrete_distribution<std::size_t> noise(weight.begin(), weight.end());
    // the data's generator goes into the checkpoint: a resumed run draws the pairs it would have
    Generator data_gen(static_cast<std::uint64_t>(seed));
    std::mt19937_64& rng = data_gen.engine();

    Generator g(static_cast<std::uint64_t>(seed));
    nn::Embedding in(v.size(), std::size_t(dim), -1, g), out(v.size(), std::size_t(dim), -1, g);
    nn::init::uniform_(in.weight, real(-0.5) / real(dim), real(0.5) / real(dim), g);
    nn::init::zeros_(out.weight);
    std::vector<Tensor> params{in.weight, out.weight};
    optim::Adam opt(params, optim::AdamOptions{real(0.01)});
    struct Vectors : nn::Module {  // the two tables, saved together
        Vectors(nn::Embedding& a, nn::Embedding& b) { register_module("in", a), register_module("out", b); }
    } vectors(in, out);
    std::filesystem::create_directories(out_dir);
    const std::string ckpt = out_dir + "/checkpoint.npz";
    // what the checkpoint carries beside the vectors and optimizer: the data's generator, the step, the loss
    nn::RunState run{{{"data", &data_gen}}, {}, {}};
    const long first = train::resume_from(resume, ckpt, vectors, opt, run);
    double first_loss = 0, smooth = 0;
    if (run.values.count("loss") && run.values.at("loss").size() == 2)
        first_loss = run.values.at("loss")(0), smooth = run.values.at("loss")(1);
    const auto B = std::size_t(batch), K = std::size_t(negatives);
    train::Progress progress(std::size_t(steps), "train", 500);
    for (long s = first; s <= steps; ++s) {
        IndexArray c = IndexArray::from_shape({B}), o = IndexArray::from_shape({B}), n = IndexArray::from_shape({B, K});
        for (std::size_t b = 0; b < B; ++b) {
            const std::size_t i = rng() % ids.size();
            const long off = 1 + long(rng() % std::size_t(window));
            const long j = long(i) + ((rng() & 1) ? off : -off);
            c(b) = ids[i];
            o(b) = ids[std::size_t(std::clamp<long>(j, 0, long(ids.size()) - 1))];
            for (std::size_t k = 0; k < K; ++k) n(b, k) = Index(noise(rng));
        }
        Tensor vc = in(c);                                                     // [B, D]
        Tensor pos = sum(vc * out(o), 1);                                      // u_o . v_c
        Tensor neg = sum(reshape(vc, {long(B), 1, dim}) * out(n), 2);          // u_n . v_c, [B, K]
        Tensor loss = (logistic_loss(pos, 1) + logistic_loss(neg, 0)) / real(B);
        opt.zero_grad();
        loss.backward();
        opt.step();
        smooth = s == 1 ? loss.item() : 0.98 * smooth + 0.02 * loss.item();
        if (s == 1) first_loss = smooth;
        progress.update(std::size_t(s), loss.item(), B * (K + 1));
    }
    progress.finish();
    run.counters["step"] = std::max(steps, first - 1);
    run.values["loss"] = Array({real(first_loss), real(smooth)});
    nn::save_checkpoint(ckpt, vectors, &opt, run);
    v.save(out_dir + "/vocab.txt");

    // nearest neighbours by cosine similarity of the input vectors
    const Array& E = in.weight.value();
    std::vector<double> norm(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        double s2 = 0;
        for (long d = 0; d < dim; ++d) s2 += double(E(i, std::size_t(d))) * E(i, std::size_t(d));
        norm[i] = std::sqrt(s2) + 1e-12;
    }
    std::vector<std::string> queries;
    std::stringstream ws(words_arg);
    for (std::string w; std::getline(ws, w, ',');) queries.push_back(w);
    if (queries.empty())
        for (std::size_t i = 30; i < v.size() && queries.size() < 5; i += 25) queries.push_back(v.token(Index(i)));
    for (const std::string& q : queries) {
        const Index qi = v.id(q);
        if (qi == train::Vocab::unk) {
            fmt::print("  {:<12} (not in the vocabulary)\n", q);
            continue;
        }
        std::vector<std::pair<double, std::size_t>> sims;
        for (std::size_t i = 4; i < v.size(); ++i) {
            if (Index(i) == qi) continue;
            double dot = 0;
            for (long d = 0; d < dim; ++d) dot += double(E(std::size_t(qi), std::size_t(d))) * E(i, std::size_t(d));
            sims.emplace_back(dot / (norm[std::size_t(qi)] * norm[i]), i);
        }
        // a vocabulary may hold fewer words than the neighbours asked for
        const std::size_t shown = std::min(std::size_t(neighbours), sims.size());
        std::partial_sort(sims.begin(), sims.begin() + long(shown), sims.end(), std::greater<>());
        fmt::print("  {:<12}", q);
        for (std::size_t k = 0; k < shown; ++k) fmt::print(" {} ({:.2f})", v.token(Index(sims[k].second)), sims[k].first);
        fmt::print("\n");
    }
    fmt::print("loss {:.3f} -> {:.3f}\n", first_loss, smooth);
    if (require_drop > 0 && !(smooth < require_drop * first_loss)) {
        fmt::print(stderr, "word2vec: the loss fell only from {:.3f} to {:.3f}\n", first_loss, smooth);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) { return train::guarded_main("word2vec", run, argc, argv); }
