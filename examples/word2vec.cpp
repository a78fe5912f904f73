// SPDX-License-Identifier: MIT
// Word vectors three ways, the lecture notes' three methods:
//   skipgram  word2vec's skip-gram with negative sampling (Mikolov et al.
//             2013): each word predicts the words around it; for a (center
//             c, context o) pair with K sampled "noise" words n_k the loss is
//                 -log sigma(u_o . v_c) - sum_k log sigma(-u_{n_k} . v_c)
//   cbow      continuous bag of words: the mean v of the 2W context vectors
//             predicts the center word, with the same negative sampling
//                 -log sigma(u_c . v) - sum_k log sigma(-u_{n_k} . v)
//   glove     GloVe (Pennington et al. 2014): co-occurrence counts X_ij
//             within the window, each pair at distance d counting 1/d; the
//             weighted least squares
//                 f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2,
//                 f(x) = min(1, (x / x_max)^0.75),  x_max = 100
//             minimised by AdaGrad; the vectors are w + w~.
// The logistic losses are written as two-class cross-entropies, which stay
// finite for any score. Prints the nearest neighbours of a few words and
// the cosine similarity of word pairs.
//
//   word2vec --data ../shared/data/tinyshakespeare.txt --words king,love,night
//   word2vec --data FILE --model cbow | glove --pairs king:queen,day:night
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <random>
#include <sstream>
#include <unordered_map>
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

// GloVe's co-occurrence counts: X[(i, j)] += 1/d for the words i, j at
// distance d <= window, both ways round.
struct Cooccurrence {
    std::vector<Index> row, col;
    std::vector<real> count;
};
Cooccurrence cooccurrences(const std::vector<Index>& ids, std::size_t window, std::size_t V) {
    std::unordered_map<std::uint64_t, double> x;
    for (std::size_t i = 0; i < ids.size(); ++i)
        for (std::size_t d = 1; d <= window && i + d < ids.size(); ++d) {
            const auto a = std::uint64_t(ids[i]), b = std::uint64_t(ids[i + d]);
            x[a * V + b] += 1.0 / double(d);
            x[b * V + a] += 1.0 / double(d);
        }
    std::vector<std::pair<std::uint64_t, double>> sorted(x.begin(), x.end());
    std::sort(sorted.begin(), sorted.end());  // an order that does not depend on the hash table's
    Cooccurrence c;
    for (const auto& [key, n] : sorted) {
        c.row.push_back(Index(key / V));
        c.col.push_back(Index(key % V));
        c.count.push_back(real(n));
    }
    return c;
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Skip-gram word vectors with negative sampling; prints nearest neighbours.", "word2vec"};
    app.option_defaults()->always_capture_default();
    std::string data, words_arg, pairs_arg, model = "skipgram", out_dir = "runs/word2vec";
    long dim = 64, window = 3, negatives = 5, vocab_max = 4000, steps = 3000, batch = 256, seed = 1, neighbours = 5;
    double require_drop = 0;
    bool resume = false;
    app.add_option("--data", data, "text file")->required();
    app.add_option("--model", model, "skip-gram, continuous bag of words or GloVe")
        ->check(CLI::IsMember({"skipgram", "cbow", "glove"}));
    app.add_option("--pairs", pairs_arg, "comma-separated word pairs a:b to print the cosine similarity of");
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
    const bool glove = model == "glove";
    nn::Embedding in(v.size(), std::size_t(dim), -1, g), out(v.size(), std::size_t(dim), -1, g);
    nn::Embedding in_bias(v.size(), 1, -1, g), out_bias(v.size(), 1, -1, g);  // GloVe's b and b~
    nn::init::uniform_(in.weight, real(-0.5) / real(dim), real(0.5) / real(dim), g);
    if (glove) nn::init::uniform_(out.weight, real(-0.5) / real(dim), real(0.5) / real(dim), g);
    else nn::init::zeros_(out.weight);
    nn::init::zeros_(in_bias.weight);
    nn::init::zeros_(out_bias.weight);
    struct Vectors : nn::Module {  // the tables, saved together
        Vectors(nn::Embedding& a, nn::Embedding& b) { register_module("in", a), register_module("out", b); }
        void add_biases(nn::Embedding& a, nn::Embedding& b) { register_module("in_bias", a), register_module("out_bias", b); }
    } vectors(in, out);
    if (glove) vectors.add_biases(in_bias, out_bias);
    std::unique_ptr<optim::Optimizer> opt_ptr;
    if (glove) opt_ptr = std::make_unique<optim::Adagrad>(vectors.parameters(), optim::AdagradOptions{real(0.05)});
    else opt_ptr = std::make_unique<optim::Adam>(vectors.parameters(), optim::AdamOptions{real(0.01)});
    optim::Optimizer& opt = *opt_ptr;
    const Cooccurrence X = glove ? cooccurrences(ids, std::size_t(window), v.size()) : Cooccurrence{};
    if (glove) fmt::print("co-occurrence counts: {} non-zero entries\n", X.count.size());
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
    const auto W = std::size_t(window);
    auto at = [&](std::size_t i, long off) { return ids[std::size_t(std::clamp<long>(long(i) + off, 0, long(ids.size()) - 1))]; };
    for (long s = first; s <= steps; ++s) {
        Tensor loss;
        if (model == "skipgram") {
            IndexArray c = IndexArray::from_shape({B}), o = IndexArray::from_shape({B}), n = IndexArray::from_shape({B, K});
            for (std::size_t b = 0; b < B; ++b) {
                const std::size_t i = rng() % ids.size();
                const long off = 1 + long(rng() % W);
                c(b) = ids[i];
                o(b) = at(i, (rng() & 1) ? off : -off);
                for (std::size_t k = 0; k < K; ++k) n(b, k) = Index(noise(rng));
            }
            Tensor vc = in(c);                                                     // [B, D]
            Tensor pos = sum(vc * out(o), 1);                                      // u_o . v_c
            Tensor neg = sum(reshape(vc, {long(B), 1, dim}) * out(n), 2);          // u_n . v_c, [B, K]
            loss = (logistic_loss(pos, 1) + logistic_loss(neg, 0)) / real(B);
        } else if (model == "cbow") {
            IndexArray ctx = IndexArray::from_shape({B, 2 * W}), c = IndexArray::from_shape({B}),
                       n = IndexArray::from_shape({B, K});
            for (std::size_t b = 0; b < B; ++b) {
                const std::size_t i = rng() % ids.size();
                c(b) = ids[i];
                for (std::size_t d = 1; d <= W; ++d) ctx(b, 2 * d - 2) = at(i, -long(d)), ctx(b, 2 * d - 1) = at(i, long(d));
                for (std::size_t k = 0; k < K; ++k) n(b, k) = Index(noise(rng));
            }
            Tensor mean_ctx = mean(in(ctx), 1);                                    // v, [B, D]
            Tensor pos = sum(mean_ctx * out(c), 1);                                // u_c . v
            Tensor neg = sum(reshape(mean_ctx, {long(B), 1, dim}) * out(n), 2);    // u_n . v, [B, K]
            loss = (logistic_loss(pos, 1) + logistic_loss(neg, 0)) / real(B);
        } else {  // glove: a minibatch of the non-zero counts
            IndexArray r = IndexArray::from_shape({B}), q = IndexArray::from_shape({B});
            Array log_x = Array::from_shape({B}), weight = Array::from_shape({B});
            for (std::size_t b = 0; b < B; ++b) {
                const std::size_t e = rng() % X.count.size();
                r(b) = X.row[e], q(b) = X.col[e];
                log_x(b) = std::log(X.count[e]);
                weight(b) = std::min(real(1), std::pow(X.count[e] / real(100), real(0.75)));  // f(X_ij)
            }
            Tensor fit = sum(in(r) * out(q), 1) + reshape(in_bias(r), {long(B)}) + reshape(out_bias(q), {long(B)});
            loss = sum(Tensor(weight) * square(fit - Tensor(log_x))) / real(B);
        }
        opt.zero_grad();
        loss.backward();
        opt.step();
        smooth = s == 1 ? loss.item() : 0.98 * smooth + 0.02 * loss.item();
        if (s == 1) first_loss = smooth;
        progress.update(std::size_t(s), loss.item(), glove ? B : B * (K + 1));
    }
    progress.finish();
    run.counters["step"] = std::max(steps, first - 1);
    run.values["loss"] = Array({real(first_loss), real(smooth)});
    nn::save_checkpoint(ckpt, vectors, &opt, run);
    v.save(out_dir + "/vocab.txt");

    // nearest neighbours by cosine similarity of the input vectors (GloVe's: w + w~)
    const Array E = glove ? Array(in.weight.value() + out.weight.value()) : in.weight.value();
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
    std::stringstream ps(pairs_arg);
    for (std::string pair; std::getline(ps, pair, ',');) {
        const auto colon = pair.find(':');
        const Index a = v.id(pair.substr(0, colon)), b = colon == std::string::npos ? train::Vocab::unk : v.id(pair.substr(colon + 1));
        if (a == train::Vocab::unk || b == train::Vocab::unk) {
            fmt::print("  {:<20} (a word is not in the vocabulary)\n", pair);
            continue;
        }
        double dot = 0;
        for (long d = 0; d < dim; ++d) dot += double(E(std::size_t(a), std::size_t(d))) * E(std::size_t(b), std::size_t(d));
        fmt::print("  similarity {:<20} {:.2f}\n", pair, dot / (norm[std::size_t(a)] * norm[std::size_t(b)]));
    }
    fmt::print("{}: loss {:.3f} -> {:.3f}\n", model, first_loss, smooth);
    if (require_drop > 0 && !(smooth < require_drop * first_loss)) {
        fmt::print(stderr, "word2vec: the loss fell only from {:.3f} to {:.3f}\n", first_loss, smooth);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) { return train::guarded_main("word2vec", run, argc, argv); }
