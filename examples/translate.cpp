// SPDX-License-Identifier: MIT
// Sequence-to-sequence translation with attention on a tab-separated parallel
// corpus (source<TAB>target[<TAB>anything] per line), word- or character-
// level, evaluated on a held-out split with corpus BLEU for greedy decoding
// and for beam search (width --beam, length normalisation 1/T^alpha).
//
//   translate --data ../shared/data/eng-fra-5k.tsv --steps 3000
//   translate --data ../shared/data/eng-fra-5k.tsv --model transformer --seconds 120
//   translate --data pairs.tsv --level char --resume
#include <algorithm>
#include <filesystem>
#include <fmt/core.h>
#include <random>
#include <tapegrad_train.hpp>

#include <dist/data_parallel.hpp>

using namespace tapegrad;

namespace {
std::string lower(std::string s) {
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 128) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
// Splits punctuation off words so "Go." becomes "go ." (word level).
std::string normalise(const std::string& text) {
    std::string s = lower(text), o;
    for (const char* nbsp : {"\xc2\xa0", "\xe2\x80\xaf"})  // (narrow) no-break spaces, as in "sûr ?"
        for (std::size_t p; (p = s.find(nbsp)) != std::string::npos;) s.replace(p, std::string(nbsp).size(), " ");
    for (char c : s) {
        if (std::string(".,!?;:\"()").find(c) != std::string::npos) {
            o += ' ';
            o += c;
            o += ' ';
        } else {
            o += c;
        }
    }
    return o;
}
std::vector<std::string> units(const std::string& s, bool chars) {
    if (!chars) return train::tokenize(s);
    std::vector<std::string> out;
    for (char c : s) out.emplace_back(1, c);
    return out;
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Seq2seq translation with attention, beam search and BLEU on a TSV corpus.", "translate"};
    app.option_defaults()->always_capture_default();
    std::string data, level = "word", out_dir = "runs/translate", kind = "rnn";
    long steps = 2000, batch = 64, max_len = 12, beam = 5, seed = 1;
    double lr = 2e-3, alpha = 1, test_fraction = 0.1, require_drop = 0, seconds = 0, drop = 0.1;
    bool resume = false;
    app.add_option("--data", data, "source<TAB>target file (try ../shared/data/eng-fra-5k.tsv)")->required();
    app.add_option("--model", kind, "rnn (GRU encoder, attention decoder) or transformer (d 128, 4 heads, 2+2 layers)")
        ->check(CLI::IsMember({"rnn", "transformer"}));
    app.add_option("--dropout", drop, "transformer: dropout")->check(train::real_below(0, 1));
    app.add_option("--seconds", seconds, "stop after this much training time (0: no limit)")
        ->check(train::real_range(0, 1e9));
    app.add_option("--level", level, "translate words or characters")->check(CLI::IsMember({"word", "char"}));
    app.add_option("--steps", steps, "training steps in all (a resumed run goes on to this step)")
        ->check(CLI::Range(1L, train::kMaxCount));
    app.add_option("--batch", batch, "pairs per batch")->check(CLI::Range(1L, 100000L));
    CLI::Option* lr_flag = app.add_option("--lr", lr, "Adam learning rate (transformer: 1e-3 unless given)")->check(train::Positive);
    app.add_option("--max-len", max_len, "keep pairs whose sides have at most this many units")
        ->check(CLI::Range(1L, 1000L));
    app.add_option("--beam", beam, "beam width")->check(CLI::Range(1L, 1000L));
    app.add_option("--alpha", alpha, "length normalisation exponent")->check(train::real_range(0, 10));
    app.add_option("--test-fraction", test_fraction, "held-out fraction")->check(train::real_range(0.01, 0.5));
    app.add_option("--seed", seed, "random seed")->check(CLI::Range(0L, train::kMaxCount));
    app.add_option("--out", out_dir, "directory for the checkpoint")->check(train::OutputDir);
    app.add_flag("--resume", resume, "continue from the checkpoint in --out");
    app.add_option("--require-loss-below", require_drop, "exit 1 unless the final loss is below this")
        ->check(train::real_range(0, 1e9));
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
    if (kind == "transformer" && lr_flag->count() == 0) lr = 1e-3;
    const bool chars = level == "char";
    std::vector<train::SentencePair> pairs;
    for (auto& [s, t] : train::load_parallel_tsv(data)) {
        std::string a = chars ? lower(s) : normalise(s), b = chars ? lower(t) : normalise(t);
        if (units(a, chars).size() <= std::size_t(max_len) && units(b, chars).size() <= std::size_t(max_len))
            pairs.emplace_back(a, b);
    }
    if (pairs.size() < 10) fail<ValueError>("{}: only {} pairs within --max-len {}", data, pairs.size(), max_len);
    // the data's generator goes into checkpoints: a resumed run draws the batches it would have
    Generator data_gen(static_cast<std::uint64_t>(seed));
    std::shuffle(pairs.begin(), pairs.end(), data_gen.engine());
    const std::size_t n_test = std::max<std::size_t>(1, std::size_t(double(pairs.size()) * test_fraction));
    const std::vector<train::SentencePair> test(pairs.end() - long(n_test), pairs.end());
    pairs.resize(pairs.size() - n_test);

    std::string src_text, tgt_text;
    for (const auto& [s, t] : pairs) src_text += s + "\n", tgt_text += t + "\n";
    auto make_vocab = [&](const std::string& text) {
        if (!chars) return train::Vocab::words(text, 0, 1);
        std::string alphabet;
        for (char c : text)
            if (c != '\n' && alphabet.find(c) == std::string::npos) alphabet += c;
        return train::Vocab::characters(alphabet);
    };
    const train::Vocab sv = make_vocab(src_text), tv = make_vocab(tgt_text);
    fmt::print("{}: {} training pairs, {} held out; vocabularies {} -> {} ({}-level)\n", data, pairs.size(),
               test.size(), sv.size(), tv.size(), level);

    Generator gen(static_cast<std::uint64_t>(seed));
    std::unique_ptr<train::Translator> made;
    if (kind == "rnn") {
        train::Seq2SeqOptions o;
        o.src_vocab = sv.size();
        o.tgt_vocab = tv.size();
        o.embed = 64;
        o.encoder_hidden = 128;
        o.decoder_hidden = 256;
        made = std::make_unique<train::Seq2Seq>(o, gen);
    } else {
        train::TransformerSeq2SeqOptions o;
        o.src_vocab = sv.size();
        o.tgt_vocab = tv.size();
        o.layer.dropout = static_cast<real>(drop);
        made = std::make_unique<train::TransformerSeq2Seq>(o, gen);
    }
    train::Translator& model = *made;
    fmt::print("model: {}, {} parameters\n", kind, model.num_parameters());
    optim::Adam opt(model.parameters(), optim::AdamOptions{static_cast<real>(lr)});
    std::filesystem::create_directories(out_dir);
    const std::string ckpt = out_dir + "/checkpoint.npz";
    // what the checkpoint carries beside model and optimizer: the data's generator, the step, the loss
    nn::RunState run{{{"data", &data_gen}}, {}, {}};
    const long first = train::resume_from(resume, ckpt, model, opt, run);
    double last_loss = 0;
    if (run.values.count("loss")) last_loss = double(run.values.at("loss")());
    dist::World& world = dist::world();
    dist::DataParallel ddp(model, world);  // under mpirun: rank 0's weights everywhere, gradients averaged
    const auto [lo, hi] = dist::shard(std::size_t(batch), world);
    if (world.size() > 1) fmt::print("data-parallel: {} ranks, {} pairs each per step\n", world.size(), hi - lo);

    train::Progress progress(std::size_t(steps), "train", 100);
    for (long s = first; s <= steps; ++s) {
        std::vector<std::vector<Index>> src, tin, tout;
        for (long i = 0; i < batch; ++i) {  // every rank draws the whole batch and keeps its part
            const auto& p = pairs[data_gen.next() % pairs.size()];
            if (std::size_t(i) < lo || std::size_t(i) >= hi) continue;
            src.push_back(sv.encode(p.first));
            tin.push_back(tv.encode(p.second, true, false));
            tout.push_back(tv.encode(p.second, false, true));
        }
        train::PaddedBatch sb = train::pad_batch(src, train::Vocab::pad);
        IndexArray ti = train::pad_batch(tin, train::Vocab::pad).ids, to = train::pad_batch(tout, train::Vocab::pad).ids;
        opt.zero_grad();
        Tensor loss = model.loss(sb.ids, sb.lengths, ti, to);
        ddp.backward(loss);
        optim::clip_grad_norm(model.parameters(), 5.0);
        opt.step();
        const double mean_loss = world.sum(loss.item()) / world.size();
        last_loss = s == 1 ? mean_loss : 0.95 * last_loss + 0.05 * mean_loss;
        progress.update(std::size_t(s), mean_loss, std::size_t(world.sum(double(to.size() + sb.ids.size()))));
        // the time budget ends the run here, when any rank's clock says so
        if (seconds > 0 && world.max(progress.seconds() >= seconds ? 1 : 0) > 0) steps = s;
        if ((s % 500 == 0 || s == steps) && world.is_root()) {
            run.counters["step"] = s;
            run.values["loss"] = Array(real(last_loss));
            nn::save_checkpoint(ckpt, model, &opt, run);
        }
    }
    progress.finish();
    if (!world.is_root()) return require_drop > 0 && !(last_loss < require_drop) ? 1 : 0;  // rank 0 evaluates

    // BLEU on the held-out pairs: greedy vs beam
    model.eval();
    std::vector<std::vector<std::string>> refs, greedy_out, beam_out;
    for (std::size_t i = 0; i < test.size(); ++i) {
        const std::vector<Index> src = sv.encode(test[i].first);
        IndexArray ids = IndexArray::from_shape({src.size(), 1});
        for (std::size_t k = 0; k < src.size(); ++k) ids(k, 0) = src[k];
        auto g = model.greedy(ids, {src.size()}, train::Vocab::bos, train::Vocab::eos, std::size_t(max_len) + 2);
        auto b = model.beam(src, train::Vocab::bos, train::Vocab::eos, std::size_t(beam), std::size_t(max_len) + 2, alpha);
        refs.push_back(train::tokenize(chars ? std::string() : test[i].second));
        if (chars) refs.back() = units(test[i].second, true);
        auto as_units = [&](const std::vector<Index>& t) { return chars ? units(tv.decode(t), true) : train::tokenize(tv.decode(t)); };
        greedy_out.push_back(as_units(g[0].tokens));
        beam_out.push_back(as_units(b.empty() ? std::vector<Index>{} : b[0].tokens));
        if (i < 6)
            fmt::print("  {:<32} -> {:<32} | beam: {}\n", test[i].first, tv.decode(g[0].tokens),
                       b.empty() ? "" : tv.decode(b[0].tokens));
    }
    const double bleu_g = train::corpus_bleu(greedy_out, refs), bleu_b = train::corpus_bleu(beam_out, refs);
    fmt::print("held-out corpus BLEU ({} pairs, {}-level): greedy {:.2f}, beam {} (alpha {}) {:.2f}\n", test.size(),
               level, 100 * bleu_g, beam, alpha, 100 * bleu_b);
    fmt::print("final training loss {:.3f} after {} steps ({:.0f} s)\n", last_loss, steps, progress.seconds());
    if (require_drop > 0 && !(last_loss < require_drop)) {
        fmt::print(stderr, "translate: loss {:.3f} is not below {:.3f}\n", last_loss, require_drop);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) { return dist::main("translate", run, argc, argv); }
