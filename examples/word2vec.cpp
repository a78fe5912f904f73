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

int main(int argc, char** argv) {
    train::Args args(argc, argv, "Skip-gram word vectors with negative sampling; prints nearest neighbours.");
    const std::string data = args.get("data", "", "text file (required)");
    const std::string words_arg = args.get("words", "", "comma-separated words to show neighbours for");
    const long dim = args.get("dim", 64L, "vector size");
    const long window = args.get("window", 3L, "context words on each side");
    const long negatives = args.get("negatives", 5L, "noise words per pair");
    const long vocab_max = args.get("vocab", 4000L, "keep the most frequent words");
    const long steps = args.get("steps", 3000L, "training steps");
    const long batch = args.get("batch", 256L, "pairs per step");
    const long seed = args.get("seed", 1L, "random seed");
    const double require_drop = args.get("require-loss-ratio", 0.0, "exit 1 unless final/first loss is below this");
    const std::string out_dir = args.get("out", "runs/word2vec", "directory for the vectors and vocabulary");
    const bool resume = args.flag("resume", "continue from the vectors in --out");
    args.done();
    try {
        if (data.empty()) fail<ValueError>("word2vec: --data FILE is required");
        if (dim <= 0 || window <= 0 || negatives <= 0 || vocab_max <= 4 || batch <= 0 || steps < 0)
            fail<ValueError>("word2vec: sizes and counts must be positive");
        const std::string text = clean(train::load_text(data));
        const train::Vocab v = train::Vocab::words(text, std::size_t(vocab_max), 2);
        std::vector<Index> ids;
        for (Index id : v.encode(text))
            if (id != train::Vocab::unk) ids.push_back(id);
        if (ids.size() < std::size_t(2 * window + 2)) fail<ValueError>("word2vec: {}: too few known words", data);
        fmt::print("{}: {} words in vocabulary, {} tokens\n", data, v.size(), ids.size());

        // noise distribution: unigram counts ^ 0.75
        std::vector<double> weight(v.size(), 0);
        for (Index id : ids) weight[std::size_t(id)] += 1;
        for (double& w : weight) w = std::pow(w, 0.75);
        std::discrete_distribution<std::size_t> noise(weight.begin(), weight.end());
        std::mt19937_64 rng(static_cast<std::uint64_t>(seed));

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
        if (resume) {
            nn::load_checkpoint(ckpt, vectors, &opt);
            fmt::print("resumed from {}\n", ckpt);
        }
        const auto B = std::size_t(batch), K = std::size_t(negatives);
        train::Progress progress(std::size_t(steps), "train", 500);
        double first = 0, smooth = 0;
        for (long s = 1; s <= steps; ++s) {
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
            if (s == 1) first = smooth;
            progress.update(std::size_t(s), loss.item(), B * (K + 1));
        }
        progress.finish();
        nn::save_checkpoint(ckpt, vectors, &opt);
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
            std::partial_sort(sims.begin(), sims.begin() + 5, sims.end(), std::greater<>());
            fmt::print("  {:<12}", q);
            for (int k = 0; k < 5; ++k) fmt::print(" {} ({:.2f})", v.token(Index(sims[std::size_t(k)].second)), sims[std::size_t(k)].first);
            fmt::print("\n");
        }
        fmt::print("loss {:.3f} -> {:.3f}\n", first, smooth);
        if (require_drop > 0 && !(smooth < require_drop * first)) {
            fmt::print(stderr, "word2vec: the loss fell only from {:.3f} to {:.3f}\n", first, smooth);
            return 1;
        }
        return 0;
    } catch (const Error& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 1;
    }
}
