// SPDX-License-Identifier: MIT
// Many-to-many with T_x = T_y: named-entity recognition, one tag per word.
// Each word is its embedding and (optionally) what a character-level BiLSTM
// reads from its spelling, which is what names a word the tagger has never
// seen; a BiLSTM over the sentence, a softmax over the tags at every word.
// Tags are BIO (B-PER I-PER O B-LOC ...); scored by token accuracy and by
// entity-level F1 (a span counts when its first and last word and its type
// are right).
//
//   tagger                      # a generated corpus: names, places, organisations, dates in varied sentences
//   tagger --no-chars           # words only: unseen names are guesswork
//   tagger --data train.conll   # CoNLL-style "word tag" lines, sentences split by blank lines
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <tapegrad_train.hpp>

using namespace tapegrad;

namespace {
struct Sentence {
    std::vector<std::string> words, tags;
};

// ---- the generated corpus: entities fill slots in sentence templates.
// The held-out sentences draw a third of their entities from lists the
// training sentences never use, so the test shows how unseen names fare.
struct Lexicon {
    std::vector<std::string> first, last, places, orgs;
};
const Lexicon kTrainLex = {
    {"Alice", "Bob", "Maria", "Omar", "Yuki", "Priya", "Lars", "Chen", "Fatima", "Diego", "Anna", "Ivan", "Kofi",
     "Lena", "Raj", "Sofia", "Pierre", "Aisha", "Tom", "Elena"},
    {"Smith", "Garcia", "Okafor", "Tanaka", "Novak", "Rossi", "Kim", "Muller", "Silva", "Haddad", "Jensen", "Patel"},
    {"Paris", "Berlin", "Lagos", "Lima", "Oslo", "New York", "San Diego", "Cape Town", "Buenos Aires", "Madrid",
     "Cairo", "Seoul", "Toronto", "Nairobi"},
    {"Acme Corp", "Globex", "United Nations", "Red Cross", "Initech", "Stark Industries", "Northwind", "Contoso",
     "Blue Sky Airlines", "Vandelay Industries"}};
const Lexicon kHeldOutLex = {
    {"Ingrid", "Tomasz", "Amara", "Haruto", "Zeynep", "Mateo", "Leilani", "Bjorn"},
    {"Kowalski", "Nakamura", "Adeyemi", "Lindqvist", "Moreau"},
    {"Quito", "Hanoi", "Kuala Lumpur", "Reykjavik", "Santiago"},
    {"Umbrella Corp", "Wayne Enterprises", "Soylent", "Cyberdyne Systems"}};
const std::vector<std::string> kMonths = {"January", "February", "March", "April", "May", "June", "July",
                                          "August", "September", "October", "November", "December"};
const std::vector<std::string> kTemplates = {
    "{PER} visited {LOC} on {DATE} .",
    "{PER} works for {ORG} in {LOC} .",
    "{ORG} opened an office in {LOC} in {DATE} .",
    "on {DATE} , {PER} met {PER} at {ORG} .",
    "the meeting in {LOC} was led by {PER} .",
    "{PER} left {ORG} on {DATE} .",
    "reports from {LOC} say {ORG} hired {PER} .",
    "{PER} said the weather in {LOC} was fine .",
    "shares of {ORG} rose after {DATE} .",
    "{PER} and {PER} flew from {LOC} to {LOC} .",
    "a spokesperson for {ORG} declined to comment .",
    "nobody expected the rain ."};

template <class R>
const std::string& pick(const std::vector<std::string>& v, R& rng) {
    return v[rng() % v.size()];
}

Sentence generate(std::mt19937_64& rng, bool held_out) {
    Sentence s;
    auto add = [&](const std::string& phrase, const std::string& type) {
        std::istringstream words(phrase);
        std::string w;
        for (bool first = true; words >> w; first = false) {
            s.words.push_back(w);
            s.tags.push_back(type.empty() ? "O" : (first ? "B-" : "I-") + type);
        }
    };
    auto lex = [&]() -> const Lexicon& { return held_out && rng() % 3 == 0 ? kHeldOutLex : kTrainLex; };
    std::istringstream in(pick(kTemplates, rng));
    std::string slot;
    while (in >> slot) {
        if (slot == "{PER}") {
            const Lexicon& l = lex();
            add(rng() % 2 ? pick(l.first, rng) + " " + pick(l.last, rng) : pick(l.first, rng), "PER");
        } else if (slot == "{LOC}") {
            add(pick(lex().places, rng), "LOC");
        } else if (slot == "{ORG}") {
            add(pick(lex().orgs, rng), "ORG");
        } else if (slot == "{DATE}") {
            const std::string day = std::to_string(1 + rng() % 28), year = std::to_string(1990 + rng() % 35);
            const std::string& month = pick(kMonths, rng);
            const auto form = rng() % 3;
            add(form == 0 ? day + " " + month + " " + year : form == 1 ? month + " " + day : year, "DATE");
        } else {
            add(slot, "");
        }
    }
    return s;
}

// ---- CoNLL-style files: "word ... tag" per line (first and last column), blank lines between sentences
std::vector<Sentence> read_conll(const std::string& path) {
    std::ifstream in(path);
    if (!in) fail<ValueError>("{}: cannot open", path);
    std::vector<Sentence> out(1);
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        std::istringstream cols(line);
        std::vector<std::string> c;
        for (std::string w; cols >> w;) c.push_back(w);
        if (c.empty() || c[0] == "-DOCSTART-") {
            if (!out.back().words.empty()) out.emplace_back();
            continue;
        }
        if (c.size() < 2) fail<ValueError>("{}:{}: expected a word and a tag, got '{}'", path, n, line);
        const std::string& tag = c.back();
        if (tag != "O" && (tag.size() < 3 || (tag[0] != 'B' && tag[0] != 'I') || tag[1] != '-'))
            fail<ValueError>("{}:{}: '{}' is not a BIO tag (O, B-TYPE, I-TYPE)", path, n, tag);
        out.back().words.push_back(c[0]);
        out.back().tags.push_back(tag);
    }
    if (out.back().words.empty()) out.pop_back();
    if (out.size() < 2) fail<ValueError>("{}: {} sentences are too few to train and test on", path, out.size());
    return out;
}

struct Tagger : nn::Module {
    nn::Embedding words, chars;
    nn::LSTM char_rnn, rnn;
    nn::Linear out;
    bool use_chars;
    Tagger(std::size_t V, std::size_t C, std::size_t tags, bool with_chars, Generator& g)
        : words(V, 64, train::Vocab::pad, g), chars(C, 16, train::Vocab::pad, g),
          char_rnn(16, 32, nn::RecurrentOptions().bidirectional(true), false, g),
          rnn(with_chars ? 64 + 64 : 64, 128, nn::RecurrentOptions().bidirectional(true), false, g),
          out(256, tags, true, g), use_chars(with_chars) {
        register_module("words", words);
        if (use_chars) {
            register_module("chars", chars);
            register_module("char_rnn", char_rnn);
        }
        register_module("rnn", rnn);
        register_module("out", out);
    }
    // logits [T, B, tags] for a padded batch of word ids and each word's characters
    Tensor forward(const train::PaddedBatch& w, const train::PaddedBatch& c) {
        Tensor x = words(w.ids);  // [T, B, 64]
        if (use_chars) {
            // every word position's spelling read both ways; the two final states name the word: [T*B, 64]
            nn::SequenceOutput o = char_rnn(chars(c.ids), c.lengths);
            Tensor spelled = concat({o.final_states[0][0], o.final_states[1][0]}, 1);
            x = concat({x, reshape(spelled, w.time(), w.batch(), -1)}, 2);
        }
        return out(rnn(x, w.lengths).output);
    }
};

struct Encoded {
    train::PaddedBatch words, chars;
    Ids targets;  // [T, B], -100 at padding
};

// unk_rate: the share of training words replaced by <unk>, so that its
// embedding learns to stand for a word never seen
Encoded encode(const std::vector<Sentence>& batch, const train::Vocab& wv, const train::Vocab& cv,
               const train::Vocab& tv, double unk_rate, std::mt19937_64* rng) {
    std::vector<std::vector<Index>> seqs;
    for (const Sentence& s : batch) {
        std::vector<Index> ids;
        for (const std::string& w : s.words)
            ids.push_back(rng && double((*rng)() % 1000) < 1000 * unk_rate ? train::Vocab::unk : wv.id(w));
        seqs.push_back(ids);
    }
    Encoded e{train::pad_batch(seqs, train::Vocab::pad), {}, {}};
    const std::size_t T = e.words.time(), B = e.words.batch();
    e.targets = Ids::full({T, B}, -100);
    std::vector<std::vector<Index>> spellings;  // position t * B + b
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t b = 0; b < B; ++b) {
            if (t < batch[b].words.size()) {
                e.targets(t, b) = tv.id(batch[b].tags[t]);
                std::vector<Index> cs;
                for (char ch : batch[b].words[t]) cs.push_back(cv.id(std::string(1, ch)));
                spellings.push_back(cs);
            } else {
                spellings.push_back({train::Vocab::pad});  // a padded position: one pad character, ignored by the loss
            }
        }
    e.chars = train::pad_batch(spellings, train::Vocab::pad);
    return e;
}

struct Scores {
    double token_accuracy, unseen_accuracy;
    std::size_t unseen;
    train::SpanScore spans;
};

Scores evaluate(Tagger& m, const std::vector<Sentence>& test, const train::Vocab& wv, const train::Vocab& cv,
                const train::Vocab& tv, const std::set<std::string>& train_words) {
    NoGradGuard ng;
    m.eval();
    Scores s{0, 0, 0, {}};
    std::size_t tokens = 0, right = 0, unseen_right = 0;
    for (std::size_t i = 0; i < test.size(); i += 64) {
        const std::vector<Sentence> batch(test.begin() + long(i), test.begin() + long(std::min(test.size(), i + 64)));
        Encoded e = encode(batch, wv, cv, tv, 0, nullptr);
        const Ids best = argmax(m.forward(e.words, e.chars), -1);  // [T, B]
        for (std::size_t b = 0; b < batch.size(); ++b) {
            std::vector<std::string> predicted;
            for (std::size_t t = 0; t < batch[b].words.size(); ++t) {
                predicted.push_back(tv.token(best(t, b)));
                const bool ok = predicted.back() == batch[b].tags[t];
                right += ok;
                ++tokens;
                if (!train_words.count(batch[b].words[t])) ++s.unseen, unseen_right += ok;
            }
            s.spans.add(batch[b].tags, predicted);
        }
    }
    m.train();
    s.token_accuracy = double(right) / double(tokens);
    s.unseen_accuracy = s.unseen ? double(unseen_right) / double(s.unseen) : 0;
    return s;
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Named-entity tagger: word (+ character BiLSTM) embeddings, a BiLSTM, a softmax per word.", "tagger"};
    app.option_defaults()->always_capture_default();
    std::string data, out_dir = "runs/tagger";
    long steps = 600, batch = 32, seed = 1, sentences = 4000;
    double require_f1 = 0, lr = 3e-3;
    bool no_chars = false, resume = false;
    app.add_option("--data", data, "CoNLL-style file (word ... tag per line); default: a generated corpus");
    app.add_option("--sentences", sentences, "sentences to generate for training (held-out: a fifth as many)")
        ->check(CLI::Range(10L, 10000000L));
    app.add_flag("--no-chars", no_chars, "words only, no character-level BiLSTM");
    app.add_option("--steps", steps, "training steps in all (a resumed run goes on to this step)")
        ->check(CLI::Range(1L, train::kMaxCount));
    app.add_option("--batch", batch, "sentences per batch")->check(CLI::Range(1L, 100000L));
    app.add_option("--lr", lr, "Adam learning rate")->check(train::Positive);
    app.add_option("--seed", seed, "random seed")->check(CLI::Range(0L, train::kMaxCount));
    app.add_option("--require-f1", require_f1, "exit 1 unless held-out entity F1 reaches this")
        ->check(train::real_range(0, 1));
    app.add_option("--out", out_dir, "directory for the checkpoint")->check(train::OutputDir);
    app.add_flag("--resume", resume, "continue from the checkpoint in --out");
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;

    std::vector<Sentence> train_set, test_set;
    if (data.empty()) {
        std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
        for (long i = 0; i < sentences; ++i) train_set.push_back(generate(rng, false));
        for (long i = 0; i < sentences / 5; ++i) test_set.push_back(generate(rng, true));
    } else {
        std::vector<Sentence> all = read_conll(data);
        const std::size_t n_test = std::max<std::size_t>(1, all.size() / 10);
        test_set.assign(all.end() - long(n_test), all.end());
        train_set.assign(all.begin(), all.end() - long(n_test));
    }
    std::string word_text, char_text;
    std::set<std::string> tag_set, train_words;
    for (const Sentence& s : train_set) {
        for (const std::string& w : s.words) word_text += w + " ", char_text += w, train_words.insert(w);
        tag_set.insert(s.tags.begin(), s.tags.end());
    }
    for (const Sentence& s : test_set) tag_set.insert(s.tags.begin(), s.tags.end());
    std::string tag_text;
    for (const std::string& t : tag_set) tag_text += t + " ";
    const train::Vocab wv = train::Vocab::words(word_text), tv = train::Vocab::words(tag_text);
    std::set<char> alphabet(char_text.begin(), char_text.end());
    const train::Vocab cv = train::Vocab::characters(std::string(alphabet.begin(), alphabet.end()));
    fmt::print("{}: {} training and {} held-out sentences, {} words, {} tags\n",
               data.empty() ? "generated corpus" : data, train_set.size(), test_set.size(), wv.size() - 4,
               tv.size() - 4);

    Generator g(static_cast<std::uint64_t>(seed)), data_gen(static_cast<std::uint64_t>(seed) + 1);
    Tagger model(wv.size(), cv.size(), tv.size(), !no_chars, g);
    optim::Adam opt(model.parameters(), real(lr));
    std::filesystem::create_directories(out_dir);
    const std::string ckpt = out_dir + "/checkpoint.npz";
    nn::RunState run{{{"data", &data_gen}}, {}, {}};
    const long first = train::resume_from(resume, ckpt, model, opt, run);
    train::Progress progress(std::size_t(steps), "train", 100);
    for (long s = first; s <= steps; ++s) {
        std::vector<Sentence> b;
        for (long i = 0; i < batch; ++i) b.push_back(train_set[data_gen.next() % train_set.size()]);
        Encoded e = encode(b, wv, cv, tv, 0.05, &data_gen.engine());
        opt.zero_grad();
        Tensor loss = cross_entropy(model.forward(e.words, e.chars), e.targets);
        loss.backward();
        optim::clip_grad_norm(model.parameters(), 5.0);
        opt.step();
        std::size_t tokens = 0;
        for (auto l : e.words.lengths) tokens += l;
        progress.update(std::size_t(s), loss.item(), tokens);
        if (s % 200 == 0 || s == steps) {
            run.counters["step"] = s;
            nn::save_checkpoint(ckpt, model, &opt, run);
        }
    }
    progress.finish();
    const Scores sc = evaluate(model, test_set, wv, cv, tv, train_words);
    fmt::print("held-out: token accuracy {:.4f}, entity precision {:.4f} recall {:.4f} F1 {:.4f} ({} entities)\n",
               sc.token_accuracy, sc.spans.precision(), sc.spans.recall(), sc.spans.f1(), sc.spans.gold);
    fmt::print("words never seen in training: {} tokens, tagged right {:.4f}\n", sc.unseen, sc.unseen_accuracy);
    // one held-out sentence with a word the training data never had, tagged
    for (const Sentence& s : test_set) {
        if (std::none_of(s.words.begin(), s.words.end(), [&](const std::string& w) { return !train_words.count(w); }))
            continue;
        const std::vector<Sentence> one{s};
        NoGradGuard ng;
        model.eval();
        Encoded e = encode(one, wv, cv, tv, 0, nullptr);
        const Ids best = argmax(model.forward(e.words, e.chars), -1);
        std::string line;
        for (std::size_t t = 0; t < s.words.size(); ++t) line += s.words[t] + "/" + tv.token(best(t, 0)) + " ";
        fmt::print("e.g. {}\n", line);
        break;
    }
    if (require_f1 > 0 && !(sc.spans.f1() >= require_f1)) {
        fmt::print(stderr, "tagger: entity F1 {:.4f} is below {:.4f}\n", sc.spans.f1(), require_f1);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) { return train::guarded_main("tagger", run, argc, argv); }
