// The main demo: sequence-to-sequence with attention translates human-written
// dates into ISO format, trained from scratch in seconds, then decoded
// greedily and with beam search; the attention of one example is drawn as a
// heatmap (SVG) that shows the alignment.
//
//   date_translation                     # train, evaluate, write runs/date_translation/
//   date_translation --steps 300 --require-accuracy 0.9    # a reduced run
//   date_translation --resume            # continue from the saved checkpoint
#include <sys/stat.h>

#include <cmath>
#include <fmt/core.h>
#include <tapegrad_train.hpp>

#include "date_data.hpp"

using namespace tapegrad;

namespace {
struct Batch {
    train::PaddedBatch src;
    IndexArray tgt_in, tgt_out;  // [T, B]: <s> y1..yn  and  y1..yn </s>
};

Batch make_batch(const std::vector<dates::Pair>& pairs, const train::Vocab& sv, const train::Vocab& tv) {
    std::vector<std::vector<Index>> src, tin, tout;
    for (const auto& p : pairs) {
        src.push_back(sv.encode(p.human));
        tin.push_back(tv.encode(p.iso, true, false));
        tout.push_back(tv.encode(p.iso, false, true));
    }
    return {train::pad_batch(src, train::Vocab::pad), train::pad_batch(tin, train::Vocab::pad).ids,
            train::pad_batch(tout, train::Vocab::pad).ids};
}

double exact_match(train::Seq2Seq& model, const std::vector<dates::Pair>& test, const train::Vocab& sv,
                   const train::Vocab& tv, std::size_t chunk = 250) {
    std::size_t right = 0;
    model.eval();
    for (std::size_t i = 0; i < test.size(); i += chunk) {
        std::vector<dates::Pair> part(test.begin() + long(i), test.begin() + long(std::min(test.size(), i + chunk)));
        Batch b = make_batch(part, sv, tv);
        auto out = model.greedy(b.src.ids, b.src.lengths, train::Vocab::bos, train::Vocab::eos, 12);
        for (std::size_t k = 0; k < part.size(); ++k) right += tv.decode(out[k].tokens) == part[k].iso;
    }
    model.train();
    return double(right) / double(test.size());
}
}  // namespace

int main(int argc, char** argv) {
    train::Args args(argc, argv, "Seq2seq with attention: human-written dates -> ISO dates, trained from scratch.");
    const long steps = args.get("steps", 600L, "training steps (batches)");
    const long batch = args.get("batch", 64L, "sentences per batch");
    const double lr = args.get("lr", 3e-3, "Adam learning rate");
    const long seed = args.get("seed", 1L, "random seed (data, initialisation)");
    const long eval_every = args.get("eval-every", 200L, "evaluate on the held-out set every N steps");
    const long beam_width = args.get("beam", 5L, "beam width for beam-search decoding");
    const std::string out_dir = args.get("out", "runs/date_translation", "directory for checkpoint and pictures");
    const double require = args.get("require-accuracy", 0.0, "exit 1 unless held-out exact match reaches this");
    const bool resume = args.flag("resume", "continue from the checkpoint in --out");
    args.done();
    if (steps < 0 || batch <= 0 || eval_every <= 0 || beam_width <= 0) {
        fmt::print(stderr, "date_translation: --steps, --batch, --eval-every and --beam must be positive\n");
        return 2;
    }

    const train::Vocab sv = train::Vocab::characters(dates::kAlphabet);
    const train::Vocab tv = train::Vocab::characters("0123456789-");
    std::mt19937_64 train_rng(static_cast<std::uint64_t>(seed)), test_rng(static_cast<std::uint64_t>(seed) + 1000003);
    std::vector<dates::Pair> test;
    for (int i = 0; i < 1000; ++i) test.push_back(dates::make(test_rng));

    Generator gen(static_cast<std::uint64_t>(seed));
    train::Seq2SeqOptions o;
    o.src_vocab = sv.size();
    o.tgt_vocab = tv.size();
    train::Seq2Seq model(o, gen);
    optim::Adam opt(model.parameters(), optim::AdamOptions{static_cast<real>(lr)});
    ::mkdir(out_dir.substr(0, out_dir.find('/')).c_str(), 0755);
    ::mkdir(out_dir.c_str(), 0755);
    const std::string ckpt = out_dir + "/checkpoint.npz";
    if (resume) {
        try {
            nn::load_checkpoint(ckpt, model, &opt);
        } catch (const Error& e) {
            fmt::print(stderr, "date_translation: cannot resume: {}\n", e.what());
            return 1;
        }
        fmt::print("resumed from {}\n", ckpt);
    }
    fmt::print("model: {} parameters; {} held-out dates; examples:\n", model.num_parameters(), test.size());
    for (int i = 0; i < 3; ++i) fmt::print("  {:<28} -> {}\n", test[i].human, test[i].iso);

    train::Progress progress(static_cast<std::size_t>(steps), "train", 100);
    double accuracy = 0;
    for (long s = 1; s <= steps; ++s) {
        std::vector<dates::Pair> pairs;
        for (long i = 0; i < batch; ++i) pairs.push_back(dates::make(train_rng));
        Batch b = make_batch(pairs, sv, tv);
        opt.zero_grad();
        Tensor loss = model.loss(b.src.ids, b.src.lengths, b.tgt_in, b.tgt_out);
        loss.backward();
        optim::clip_grad_norm(model.parameters(), 5.0);
        opt.step();
        std::size_t tokens = b.tgt_out.size();
        for (auto l : b.src.lengths) tokens += l;
        progress.update(static_cast<std::size_t>(s), loss.item(), tokens);
        if (s % eval_every == 0 || s == steps) {
            accuracy = exact_match(model, test, sv, tv);
            progress.message(fmt::format("step {:5d}  held-out exact match {:.1f}%  ({:.1f} s)", s, 100 * accuracy,
                                         progress.seconds()));
            nn::save_checkpoint(ckpt, model, &opt);
        }
    }
    progress.finish();
    if (steps == 0) accuracy = exact_match(model, test, sv, tv);

    // Greedy vs beam search on a few held-out dates.
    fmt::print("\n{:<30} {:<12} {:<12} {}\n", "input", "greedy", "beam", "expected");
    model.eval();
    std::vector<dates::Pair> show(test.begin(), test.begin() + 8);
    Batch sb = make_batch(show, sv, tv);
    auto greedy = model.greedy(sb.src.ids, sb.src.lengths, train::Vocab::bos, train::Vocab::eos, 12);
    for (std::size_t i = 0; i < show.size(); ++i) {
        auto beams = model.beam(sv.encode(show[i].human), train::Vocab::bos, train::Vocab::eos,
                                static_cast<std::size_t>(beam_width), 12);
        fmt::print("{:<30} {:<12} {:<12} {}\n", show[i].human, tv.decode(greedy[i].tokens),
                   beams.empty() ? "" : tv.decode(beams[0].tokens), show[i].iso);
    }

    // The attention of one example (one with a month name) as a picture.
    dates::Pair ex = test[0];
    for (const auto& p : test)
        if (p.human.find_first_of("JFMASOND") != std::string::npos && p.human.size() > 16) {
            ex = p;
            break;
        }
    auto dec = model.greedy(make_batch({ex}, sv, tv).src.ids, {ex.human.size()}, train::Vocab::bos,
                            train::Vocab::eos, 12)[0];
    std::vector<std::string> cols, rows;
    for (char c : ex.human) cols.emplace_back(1, c);
    for (Index t : dec.tokens) rows.push_back(tv.token(t));
    const std::string svg = out_dir + "/attention.svg";
    train::write_heatmap_svg(svg, dec.attention, rows, cols, "attention: \"" + ex.human + "\" -> " + tv.decode(dec.tokens));
    fmt::print("\nheld-out exact match (greedy): {:.1f}% on {} dates after {:.1f} s of training\n", 100 * accuracy,
               test.size(), progress.seconds());
    fmt::print("wrote {} and {}\n", svg, ckpt);
    if (accuracy < require) {
        fmt::print(stderr, "date_translation: accuracy {:.3f} is below the required {:.3f}\n", accuracy, require);
        return 1;
    }
    return 0;
}
