// SPDX-License-Identifier: MIT
// The main demo: sequence-to-sequence with attention translates human-written
// dates into ISO format, trained from scratch in seconds, then decoded
// greedily and with beam search; the attention of one example is drawn as a
// heatmap (SVG) that shows the alignment. --model transformer trains the
// Transformer instead (the same loop: both are train::Translator), and draws
// one head's cross-attention per decoder layer.
//
//   date_translation                     # train, evaluate, write runs/date_translation/
//   date_translation --model transformer --require-accuracy 0.99
//   date_translation --steps 300 --require-accuracy 0.9    # a reduced run
//   date_translation --resume            # continue from the saved checkpoint
//   mpirun -np 2 date_translation        # data-parallel: each rank a part of every batch
#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <tapegrad_train.hpp>

#include <dist/data_parallel.hpp>

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

double exact_match(train::Translator& model, const std::vector<dates::Pair>& test, const train::Vocab& sv,
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

int run(int argc, char** argv) {
    CLI::App app{"Seq2seq with attention: human-written dates -> ISO dates, trained from scratch.", "date_translation"};
    app.option_defaults()->always_capture_default();
    long steps = 600, batch = 64, seed = 1, eval_every = 200, beam_width = 5;
    double lr = 3e-3, require = 0;
    std::string out_dir = "runs/date_translation", kind = "rnn";
    bool resume = false;
    long d_model = 64, layers = 2;
    CLI::Option* steps_flag = app.add_option("--steps", steps, "training steps (batches), in all: a resumed run goes on to this step")
        ->check(CLI::Range(1L, train::kMaxCount));
    app.add_option("--batch", batch, "sentences per batch")->check(CLI::Range(1L, 100000L));
    CLI::Option* lr_flag = app.add_option("--lr", lr, "Adam learning rate (transformer: 1e-3 unless given)")->check(train::Positive);
    app.add_option("--seed", seed, "random seed (data, initialisation)")->check(CLI::Range(0L, train::kMaxCount));
    app.add_option("--eval-every", eval_every, "evaluate on the held-out set every N steps")
        ->check(CLI::Range(1L, train::kMaxCount));
    app.add_option("--beam", beam_width, "beam width for beam-search decoding")->check(CLI::Range(1L, 1000L));
    app.add_option("--out", out_dir, "directory for checkpoint and pictures")->check(train::OutputDir);
    app.add_option("--require-accuracy", require, "exit 1 unless held-out exact match reaches this")
        ->check(train::real_range(0, 1));
    app.add_flag("--resume", resume, "continue from the checkpoint in --out");
    app.add_option("--model", kind, "rnn (bidirectional GRU encoder, attention decoder) or transformer")
        ->check(CLI::IsMember({"rnn", "transformer"}));
    app.add_option("--d-model", d_model, "transformer: model width (4 heads, feed-forward 4x)")
        ->check(CLI::Range(4L, 4096L) & train::MultipleOf(4));
    app.add_option("--layers", layers, "transformer: encoder and decoder layers each")->check(CLI::Range(1L, 64L));
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
    // The transformer learns this task in more steps than the RNN, and wants
    // its rate warmed up and decayed (a constant 3e-3 made its accuracy swing).
    if (kind == "transformer" && lr_flag->count() == 0) lr = 2e-3;
    if (kind == "transformer" && steps_flag->count() == 0) steps = 1500;

    const train::Vocab sv = train::Vocab::characters(dates::kAlphabet);
    const train::Vocab tv = train::Vocab::characters("0123456789-");
    // the training data's generator goes into checkpoints: a resumed run draws the dates it would have
    Generator train_gen(static_cast<std::uint64_t>(seed));
    std::mt19937_64 test_rng(static_cast<std::uint64_t>(seed) + 1000003);
    std::vector<dates::Pair> test;
    for (int i = 0; i < 1000; ++i) test.push_back(dates::make(test_rng));

    Generator gen(static_cast<std::uint64_t>(seed));
    std::unique_ptr<train::Translator> made;
    if (kind == "rnn") {
        train::Seq2SeqOptions o;
        o.src_vocab = sv.size();
        o.tgt_vocab = tv.size();
        made = std::make_unique<train::Seq2Seq>(o, gen);
    } else {
        train::TransformerSeq2SeqOptions o;
        o.src_vocab = sv.size();
        o.tgt_vocab = tv.size();
        o.layer.d_model = std::size_t(d_model), o.layer.nhead = 4, o.layer.dim_feedforward = 4 * std::size_t(d_model);
        o.layer.dropout = 0;  // fresh dates every step: nothing to overfit
        o.encoder_layers = o.decoder_layers = std::size_t(layers);
        made = std::make_unique<train::TransformerSeq2Seq>(o, gen);
    }
    train::Translator& model = *made;
    optim::Adam opt(model.parameters(), optim::AdamOptions{static_cast<real>(lr)});
    std::filesystem::create_directories(out_dir);
    const std::string ckpt = out_dir + "/checkpoint.npz";
    // what the checkpoint carries beside model and optimizer: the data's generator and the step
    nn::RunState run{{{"data", &train_gen}}, {}, {}};
    // transformer: warm-up over 100 steps, cosine decay to 5% at the last
    std::unique_ptr<optim::WarmupCosineLR> schedule;
    if (kind == "transformer")
        schedule = std::make_unique<optim::WarmupCosineLR>(opt, std::min<std::size_t>(100, std::size_t(steps)),
                                                           std::size_t(steps), real(0.05));
    const long first = train::resume_from(resume, ckpt, model, opt, run);
    if (schedule) schedule->set_epoch(std::size_t(first - 1));  // the rate of the step it resumes at
    // under mpirun: every rank starts from rank 0's weights, and gradients are averaged
    dist::World& world = dist::world();
    dist::DataParallel ddp(model, world);
    const auto [lo, hi] = dist::shard(std::size_t(batch), world);  // this rank's part of every batch
    if (world.size() > 1) fmt::print("data-parallel: {} ranks, {} sentences each per step\n", world.size(), hi - lo);
    fmt::print("model: {}, {} parameters; {} held-out dates; examples:\n", kind, model.num_parameters(), test.size());
    for (int i = 0; i < 3; ++i) fmt::print("  {:<28} -> {}\n", test[i].human, test[i].iso);

    train::Progress progress(static_cast<std::size_t>(steps), "train", 100);
    double accuracy = 0;
    for (long s = first; s <= steps; ++s) {
        std::vector<dates::Pair> pairs;  // every rank draws the whole batch (one data stream) and keeps its part
        for (long i = 0; i < batch; ++i) pairs.push_back(dates::make(train_gen.engine()));
        pairs = std::vector<dates::Pair>(pairs.begin() + long(lo), pairs.begin() + long(hi));
        Batch b = make_batch(pairs, sv, tv);
        opt.zero_grad();
        Tensor loss = model.loss(b.src.ids, b.src.lengths, b.tgt_in, b.tgt_out);
        ddp.backward(loss);
        optim::clip_grad_norm(model.parameters(), 5.0);
        opt.step();
        if (schedule) schedule->step();
        std::size_t tokens = b.tgt_out.size();
        for (auto l : b.src.lengths) tokens += l;
        const double mean_loss = world.sum(loss.item()) / world.size();  // what the job's progress line shows
        progress.update(static_cast<std::size_t>(s), mean_loss, std::size_t(world.sum(double(tokens))));
        if ((s % eval_every == 0 || s == steps) && world.is_root()) {  // the ranks hold the same model
            accuracy = exact_match(model, test, sv, tv);
            progress.message(fmt::format("step {:5d}  held-out exact match {:.1f}%  ({:.1f} s)", s, 100 * accuracy,
                                         progress.seconds()));
            run.counters["step"] = s;
            nn::save_checkpoint(ckpt, model, &opt, run);
        }
    }
    progress.finish();
    if (first > steps && world.is_root()) accuracy = exact_match(model, test, sv, tv);  // resumed at the end
    real shared = real(accuracy);
    world.broadcast(&shared, 1, 0);
    accuracy = double(shared);
    if (!world.is_root()) return accuracy < require ? 1 : 0;  // rank 0 shows and writes the rest

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
    std::string svg = out_dir + "/attention.svg";
    train::write_heatmap_svg(svg, dec.attention, rows, cols, "attention: \"" + ex.human + "\" -> " + tv.decode(dec.tokens));
    for (std::size_t l = 0; l < dec.layer_attention.size(); ++l) {  // the transformer: head 0 of each layer
        const std::string path = fmt::format("{}/attention_layer{}.svg", out_dir, l + 1);
        train::write_heatmap_svg(path, dec.layer_attention[l], rows, cols,
                                 fmt::format("decoder layer {}, head 1: \"{}\" -> {}", l + 1, ex.human, tv.decode(dec.tokens)));
        svg += ", " + path;
    }
    fmt::print("\nheld-out exact match (greedy): {:.1f}% on {} dates after {:.1f} s of training\n", 100 * accuracy,
               test.size(), progress.seconds());
    fmt::print("wrote {} and {}\n", svg, ckpt);
    if (accuracy < require) {
        fmt::print(stderr, "date_translation: accuracy {:.3f} is below the required {:.3f}\n", accuracy, require);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) { return dist::main("date_translation", run, argc, argv); }
