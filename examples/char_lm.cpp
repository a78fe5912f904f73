// SPDX-License-Identifier: MIT
// Character-level language model.
//
//   char_lm                                  # the lecture notes' toy: learn "hello" over {h, e, l, o}
//   char_lm --data ../shared/data/tinyshakespeare.txt --cell lstm --steps 2000
//   char_lm --data FILE --cell mingru --seconds 60  # minGRU, minLSTM, sLSTM: cells/
//   char_lm --data FILE --model transformer --hidden 128 --layers 2 --seconds 60
//                                            # decoder-only Transformer, causal mask
//   mpirun -np 2 char_lm --data FILE         # data-parallel: each rank a share of the streams
//   char_lm --data FILE --resume             # continue from --out/checkpoint.npz
//
// Truncated BPTT: B streams read the training text side by side, T characters
// per step; the state is carried from step to step with detach(), so
// gradients flow through T steps and the context through all of them.
// Reports validation perplexity PP = exp(mean NLL) and samples text.
// --model transformer: a decoder-only Transformer (GPT-style: learned
// positions, pre-norm GELU layers, 4 heads, under a causal mask) sees each
// window of T characters on its own; there is no state to carry, and its
// context is the window (validation likewise, in windows of T).
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <set>
#include <tapegrad_train.hpp>

#include <cells/min_gru.hpp>
#include <cells/slstm.hpp>
#include <dist/data_parallel.hpp>

using namespace tapegrad;

namespace {
struct CharLM : nn::Module {
    nn::Embedding emb;
    std::unique_ptr<nn::Recurrent> rnn;
    std::unique_ptr<nn::LearnedPositionalEncoding> pos;  // the transformer's
    std::unique_ptr<nn::TransformerEncoder> blocks;
    nn::Linear out;
    CharLM(std::size_t V, std::size_t E, std::size_t H, const std::string& cell, nn::RecurrentOptions o, Generator& g,
           std::size_t context = 0)
        : emb(V, cell == "transformer" ? H : E, -1, g), out(H, V, true, g) {
        if (cell == "transformer") {
            if (H % 4 != 0) fail<ValueError>("--model transformer: --hidden {} is not divisible into 4 heads", H);
            nn::TransformerLayerOptions t;
            t.d_model = H, t.nhead = 4, t.dim_feedforward = 4 * H, t.dropout = o.dropout();
            t.norm_first = true, t.activation = nn::Activation::GELU;
            pos = std::make_unique<nn::LearnedPositionalEncoding>(context, H, g);
            blocks = std::make_unique<nn::TransformerEncoder>(t, o.num_layers(), true, g);
            register_module("emb", emb);
            register_module("pos", *pos);
            register_module("blocks", *blocks);
            register_module("out", out);
            return;
        }
        if (cell == "rnn") rnn = std::make_unique<nn::RNN>(E, H, o, nn::Nonlinearity::Tanh, g);
        else if (cell == "lstm") rnn = std::make_unique<nn::LSTM>(E, H, o, true, g);
        else if (cell == "gru") rnn = std::make_unique<nn::GRU>(E, H, o, g);
        else if (cell == "mingru") rnn = user_cells<cells::MinGRUCell>(E, H, o, g);
        else if (cell == "minlstm") rnn = user_cells<cells::MinLSTMCell>(E, H, o, g);
        else if (cell == "slstm") rnn = user_cells<cells::SLSTMCell>(E, H, o, g);
        else fail<ValueError>("--cell must be rnn, lstm, gru, mingru, minlstm or slstm, not '{}'", cell);
        register_module("emb", emb);
        register_module("rnn", *rnn);
        register_module("out", out);
    }
    // A sequence layer of one of cells/' cells (written as user cells are)
    template <class Cell>
    static std::unique_ptr<nn::Recurrent> user_cells(std::size_t E, std::size_t H, nn::RecurrentOptions o, Generator& g) {
        return std::make_unique<nn::Recurrent>([&](std::size_t in) { return std::make_unique<Cell>(in, H, g); }, E, o);
    }
    // logits [T, B, V] for ids [T, B], continuing from `state`
    Tensor forward(const IndexArray& ids, std::vector<nn::State>& state) {
        if (blocks) {  // the window alone: position t attends to 0..t
            const Tensor causal = nn::MultiheadAttention::causal_mask(ids.shape()[0]);
            return out((*blocks)((*pos)(emb(ids)), causal));
        }
        nn::SequenceOutput o = rnn->forward(emb(ids), nn::RecurrentArgs().initial(state));
        state = o.final_states;
        return out(o.output);
    }
    std::vector<nn::State> zero_state(std::size_t B) const {
        std::vector<nn::State> s;
        if (blocks) return s;
        const std::size_t L = rnn->options().num_layers();
        for (std::size_t l = 0; l < L; ++l) s.push_back(rnn->cell(l).initial_state(B));
        return s;
    }
};

// The same loss with gradient checkpointing (ops/checkpoint.hpp): the
// window in segments of k steps, each a checkpoint() of embedding,
// recurrence, head and loss, so that only the states between segments are
// kept until backward; each segment is computed again then, with the same
// dropout masks. Updates `state` as forward() does.
Tensor segmented_loss(CharLM& m, const IndexArray& x, const IndexArray& y, std::vector<nn::State>& state,
                      std::size_t k) {
    const std::size_t T = x.shape()[0], B = x.shape()[1];
    std::vector<Tensor> flat;  // the states of every layer, one after another
    std::vector<std::size_t> per_layer;
    for (const nn::State& s : state) {
        flat.insert(flat.end(), s.begin(), s.end());
        per_layer.push_back(s.size());
    }
    auto unflatten = [per_layer](const std::vector<Tensor>& f, std::size_t from) {
        std::vector<nn::State> s;
        for (std::size_t n : per_layer) {
            s.emplace_back(f.begin() + std::ptrdiff_t(from), f.begin() + std::ptrdiff_t(from + n));
            from += n;
        }
        return s;
    };
    auto segment = [&m, x, y, B, unflatten](std::size_t t0, std::size_t t1, const std::vector<Tensor>& st) {
        IndexArray xs = IndexArray::from_shape({t1 - t0, B}), ys = IndexArray::from_shape({t1 - t0, B});
        std::copy(x.data() + t0 * B, x.data() + t1 * B, xs.data());
        std::copy(y.data() + t0 * B, y.data() + t1 * B, ys.data());
        std::vector<nn::State> s = unflatten(st, 0);
        std::vector<Tensor> out{cross_entropy(m.forward(xs, s), ys, -100, Reduction::Sum)};
        for (const nn::State& layer : s) out.insert(out.end(), layer.begin(), layer.end());
        return out;
    };
    std::vector<Generator*> generators;
    for (const auto& [name, g] : m.named_generators()) generators.push_back(g);
    std::vector<Tensor> result = checkpointed_loss(T, k, flat, segment, generators);
    state = unflatten(result, 1);
    return result[0] / real(T * B);
}

void detach(std::vector<nn::State>& s) {
    for (auto& st : s)
        for (Tensor& t : st) t = t.detach();
}

// Window [t0, t0 + T) of streams [lo, hi) of B equally spaced streams over
// ids; targets shifted by one. (Under mpirun each rank reads its streams.)
std::pair<IndexArray, IndexArray> window(const std::vector<Index>& ids, std::size_t B, std::size_t T, std::size_t t0,
                                         std::size_t lo, std::size_t hi) {
    const std::size_t stream = (ids.size() - 1) / B;
    IndexArray x = IndexArray::from_shape({T, hi - lo}), y = IndexArray::from_shape({T, hi - lo});
    for (std::size_t b = lo; b < hi; ++b)
        for (std::size_t t = 0; t < T; ++t) {
            const std::size_t k = b * stream + (t0 + t) % stream;
            x(t, b - lo) = ids[k];
            y(t, b - lo) = ids[k + 1];
        }
    return {x, y};
}

// The carried state of all B streams, from every rank's rows [lo, hi): a
// sum over the ranks of arrays that are zero outside each one's rows.
Array all_streams(dist::World& w, const Tensor& mine, std::size_t lo, std::size_t B) {
    const std::size_t H = mine.shape()[1];
    Array all = xt::zeros<real>({B, H});
    std::copy(mine.data(), mine.data() + mine.numel(), all.data() + lo * H);
    std::vector<dist::World::Request> r{w.start_sum(all.data(), all.size())};
    w.wait(r, "the carried states");
    return all;
}

double validation_perplexity(CharLM& m, const std::vector<Index>& val, std::size_t T) {
    NoGradGuard ng;
    m.eval();
    auto state = m.zero_state(1);
    double nll = 0;
    std::size_t n = 0;
    for (std::size_t t0 = 0; t0 + 1 < val.size(); t0 += T) {
        const std::size_t len = std::min(T, val.size() - 1 - t0);
        IndexArray x = IndexArray::from_shape({len, 1}), y = IndexArray::from_shape({len, 1});
        for (std::size_t t = 0; t < len; ++t) x(t, 0) = val[t0 + t], y(t, 0) = val[t0 + t + 1];
        nll += cross_entropy(m.forward(x, state), y, -100, Reduction::Sum).item();
        n += len;
    }
    m.train();
    return train::perplexity(nll, n);
}

std::string sample(CharLM& m, const train::Vocab& v, const std::string& prompt, std::size_t n, double temperature,
                   Generator& g) {
    NoGradGuard ng;
    m.eval();
    auto state = m.zero_state(1);
    std::string text = prompt;
    std::vector<Index> ids = v.encode(prompt);
    IndexArray x = IndexArray::from_shape({ids.size(), 1});
    for (std::size_t t = 0; t < ids.size(); ++t) x(t, 0) = ids[t];
    Tensor logits = m.forward(x, state);
    const std::size_t window = m.pos ? m.pos->weight.shape()[0] : 0;  // the transformer's context
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t V = logits.shape()[2], last = logits.shape()[0] - 1;
        std::vector<double> p(V);
        double mx = -1e300, z = 0;
        for (std::size_t c = 0; c < V; ++c) mx = std::max(mx, double(logits.at({last, 0, c})) / temperature);
        for (std::size_t c = 0; c < V; ++c) z += p[c] = std::exp(double(logits.at({last, 0, c})) / temperature - mx);
        double u = g.uniform() * z;
        std::size_t c = 0;
        while (c + 1 < V && (u -= p[c]) > 0) ++c;
        if (c < 4) c = v.id(" ");  // never emit a special token
        text += v.token(Index(c));
        ids.push_back(Index(c));
        if (window > 0) {  // the transformer: the last `window` characters again
            const std::size_t len = std::min(window, ids.size());
            IndexArray w = IndexArray::from_shape({len, 1});
            for (std::size_t t = 0; t < len; ++t) w(t, 0) = ids[ids.size() - len + t];
            logits = m.forward(w, state);
            continue;
        }
        IndexArray next = IndexArray::from_shape({1, 1});
        next(0, 0) = Index(c);
        logits = m.forward(next, state);
    }
    m.train();
    return text;
}

// The notes' toy: one-hot-like inputs, hidden size 3, printing h_t and logits.
int hello_toy(long steps, long seed) {
    const train::Vocab v = train::Vocab::characters("helo");
    Generator g(static_cast<std::uint64_t>(seed));
    nn::RNNCell cell(4, 3, nn::Nonlinearity::Tanh, g);
    nn::Linear why(3, v.size(), true, g);
    std::vector<Tensor> params = cell.parameters();
    for (const Tensor& p : why.parameters()) params.push_back(p);
    optim::Adam opt(params, optim::AdamOptions{real(0.05)});
    const std::string text = "hello";
    auto one_hot = [&](char ch) {
        Tensor x = Tensor::zeros(make_shape({1, 4}));
        x.mutable_value()(0, std::size_t(v.id(std::string(1, ch)) - 4)) = 1;
        return x;
    };
    for (long s = 0; s <= steps; ++s) {
        nn::State h = cell.initial_state(1);
        Tensor loss = Tensor::scalar(0);
        for (std::size_t t = 0; t + 1 < text.size(); ++t) {
            h = cell(one_hot(text[t]), h);
            loss = loss + cross_entropy(why(h[0]), IndexArray{v.id(std::string(1, text[t + 1]))});
        }
        opt.zero_grad();
        loss.backward();
        opt.step();
        if (s % 50 == 0) fmt::print("step {:4d}  loss {:.4f}\n", s, loss.item());
    }
    fmt::print("\n t  x_t  h_t                        logits over h e l o           predicted\n");
    nn::State h = cell.initial_state(1);
    std::string predicted;
    for (std::size_t t = 0; t + 1 < text.size(); ++t) {
        h = cell(one_hot(text[t]), h);
        Tensor y = why(h[0]);
        std::size_t best = 4;
        for (std::size_t c = 4; c < 8; ++c)
            if (y.at({0, c}) > y.at({0, best})) best = c;
        predicted += v.token(Index(best));
        fmt::print(" {}  {}    [{:6.3f} {:6.3f} {:6.3f}]   [{:6.2f} {:6.2f} {:6.2f} {:6.2f}]   {}\n", t, text[t],
                   h[0].at({0, 0}), h[0].at({0, 1}), h[0].at({0, 2}), y.at({0, 4}), y.at({0, 5}), y.at({0, 6}),
                   y.at({0, 7}), v.token(Index(best)));
    }
    fmt::print("\"hell\" -> \"{}\"\n", predicted);
    return predicted == "ello" ? 0 : 1;
}
}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Character-level language model (RNN, LSTM or GRU) with truncated BPTT.", "char_lm"};
    app.option_defaults()->always_capture_default();
    std::string data, cell = "lstm", out_dir = "runs/char_lm", kind = "rnn";
    long hidden = 256, layers = 1, embed = 64, T = 64, B = 32, steps = 1000, sample_len = 300, eval_every = 200,
         seed = 1, checkpoint_every = 0;
    double drop = 0, lr = 2e-3, clip = 5, temperature = 0.8, require_pp = 0, seconds = 0;
    bool resume = false;
    app.add_option("--data", data, "text file to train on (default: the \"hello\" toy)");
    app.add_option("--cell", cell, "recurrent cell (mingru, minlstm, slstm: cells/)")
        ->check(CLI::IsMember({"rnn", "lstm", "gru", "mingru", "minlstm", "slstm"}));
    app.add_option("--model", kind, "rnn (a recurrent --cell) or transformer (decoder-only; --hidden is its width)")
        ->check(CLI::IsMember({"rnn", "transformer"}));
    app.add_option("--hidden", hidden, "hidden size")->check(CLI::Range(1L, 16384L));
    app.add_option("--layers", layers, "stacked layers")->check(CLI::Range(1L, 64L));
    app.add_option("--dropout", drop, "dropout between layers")->check(train::real_below(0, 1));
    app.add_option("--embed", embed, "character embedding size")->check(CLI::Range(1L, 16384L));
    app.add_option("--bptt", T, "truncated BPTT length")->check(CLI::Range(1L, 100000L));
    app.add_option("--batch", B, "parallel streams")->check(CLI::Range(1L, 100000L));
    app.add_option("--steps", steps, "training steps in all (a resumed run goes on to this step)")
        ->check(CLI::Range(1L, train::kMaxCount));
    app.add_option("--lr", lr, "Adam learning rate")->check(train::Positive);
    app.add_option("--clip", clip, "clip the global gradient norm to this")->check(train::Positive);
    app.add_option("--temperature", temperature, "sampling temperature")->check(train::real_range(0.01, 100));
    app.add_option("--sample", sample_len, "characters to sample at the end")->check(CLI::Range(0L, 1000000L));
    app.add_option("--seconds", seconds, "stop after this much training time (0: no limit)")
        ->check(train::real_range(0, 1e9));
    app.add_option("--eval-every", eval_every, "validation every N steps")->check(CLI::Range(1L, train::kMaxCount));
    app.add_option("--seed", seed, "random seed")->check(CLI::Range(0L, train::kMaxCount));
    app.add_option("--out", out_dir, "directory for checkpoint and vocabulary")->check(train::OutputDir);
    app.add_flag("--resume", resume, "continue from the checkpoint in --out");
    app.add_option("--checkpoint-every", checkpoint_every,
                   "gradient checkpointing: keep the recurrent state every K steps, compute the rest again in "
                   "backward (0: off)")
        ->check(CLI::Range(0L, train::kMaxCount));
    app.add_option("--require-perplexity", require_pp, "exit 1 unless validation perplexity is below this")
        ->check(train::real_range(0, 1e9));
    if (int status = train::parse_flags(app, argc, argv); status >= 0) return status;
    if (data.empty()) return hello_toy(steps < 1000 ? steps : 300, seed);
    if (kind == "transformer") cell = "transformer";
    if (kind == "transformer" && checkpoint_every > 0)
        fail<ValueError>("--checkpoint-every is for the recurrent models (a transformer window has no carried state)");

    const std::string text = train::load_text(data);
    std::set<char> chars(text.begin(), text.end());
    const train::Vocab v = train::Vocab::characters(std::string(chars.begin(), chars.end()));
    std::vector<Index> ids = v.encode(text);
    const std::size_t n_val = std::max<std::size_t>(ids.size() / 10, 2);
    if (ids.size() < n_val + std::size_t(B) * (std::size_t(T) + 1))
        fail<ValueError>("{}: {} characters are too few for {} streams of {}", data, ids.size(), B, T);
    const std::vector<Index> val(ids.end() - long(n_val), ids.end());
    ids.resize(ids.size() - n_val);
    fmt::print("{}: {} characters, vocabulary {}, {} for validation\n", data, text.size(), v.size(), n_val);

    Generator g(static_cast<std::uint64_t>(seed));
    nn::RecurrentOptions o;
    o.num_layers(std::size_t(layers));
    o.dropout(static_cast<real>(drop));
    o.seed(std::uint64_t(seed));
    CharLM model(v.size(), std::size_t(embed), std::size_t(hidden), cell, o, g, std::size_t(T));
    optim::Adam opt(model.parameters(), optim::AdamOptions{static_cast<real>(lr)});
    dist::World& world = dist::world();
    const auto [lo, hi] = dist::shard(std::size_t(B), world);  // this rank's streams
    const std::size_t mine = hi - lo;
    std::filesystem::create_directories(out_dir);
    const std::string ckpt = out_dir + "/checkpoint.npz", vocab_file = out_dir + "/vocab.txt";
    if (resume) {
        const train::Vocab saved = train::Vocab::load(vocab_file);
        if (saved.size() != v.size())
            fail<ValueError>("{} has {} tokens, the data needs {}: a checkpoint of another model?",
                             vocab_file, saved.size(), v.size());
    }
    // What the checkpoint carries beside model and optimizer: the step, the
    // last perplexity, and the recurrent state carried into the next step.
    nn::RunState run;
    auto state = model.zero_state(mine);
    double pp = 0;
    const long first = train::resume_from(resume, ckpt, model, opt, run);
    if (resume) {
        for (std::size_t l = 0; l < state.size(); ++l)
            for (std::size_t k = 0; k < state[l].size(); ++k) {
                const std::string name = fmt::format("state.{}.{}", l, k);
                const Shape all = make_shape({std::size_t(B), std::size_t(hidden)});
                if (!run.values.count(name) || run.values.at(name).shape() != all)
                    fail<ValueError>("{}: no carried state '{}' of shape {}", ckpt, name, shape_str(all));
                state[l][k] = slice(Tensor(run.values.at(name)), 0, lo, hi);  // this rank's streams
            }
        if (run.values.count("perplexity")) pp = double(run.values.at("perplexity")());
    }
    dist::DataParallel ddp(model, world);  // rank 0's weights everywhere; gradients averaged
    if (world.size() > 1) fmt::print("data-parallel: {} ranks, {} streams each\n", world.size(), mine);
    if (world.is_root()) v.save(vocab_file);
    fmt::print("model: {} {}x{} ({} parameters)\n", cell, layers, hidden, model.num_parameters());

    train::Progress progress(std::size_t(steps), "train", 100);
    const std::size_t stream = (ids.size() - 1) / std::size_t(B);
    for (long s = first; s <= steps; ++s) {
        const std::size_t t0 = (std::size_t(s - 1) * std::size_t(T)) % stream;
        if (t0 < std::size_t(T)) state = model.zero_state(mine);  // a new pass over the streams
        auto [x, y] = window(ids, std::size_t(B), std::size_t(T), t0, lo, hi);
        detach(state);  // truncated BPTT: keep the context, cut the gradient
        opt.zero_grad();
        Tensor loss;
        if (checkpoint_every > 0) {
            loss = segmented_loss(model, x, y, state, std::size_t(checkpoint_every));
        } else {
            loss = cross_entropy(model.forward(x, state), y);
        }
        ddp.backward(loss);
        optim::clip_grad_norm(model.parameters(), clip);
        opt.step();
        progress.update(std::size_t(s), world.sum(loss.item()) / world.size(), std::size_t(T * B));
        // the time budget ends the run here, when any rank's clock says so
        // (every rank has the same --seconds, so all ask, or none)
        const bool out_of_time = seconds > 0 && world.max(progress.seconds() >= seconds ? 1 : 0) > 0;
        if (out_of_time) steps = s;
        if (s % eval_every == 0 || s == steps) {
            std::vector<Array> states;  // every stream's, gathered from the ranks
            for (std::size_t l = 0; l < state.size(); ++l)
                for (std::size_t k = 0; k < state[l].size(); ++k)
                    states.push_back(all_streams(world, state[l][k], lo, std::size_t(B)));
            if (world.is_root()) {  // the ranks hold the same model: one evaluates and writes
                pp = validation_perplexity(model, val, std::size_t(T));
                progress.message(fmt::format("step {:5d}  validation perplexity {:.3f}", s, pp));
                run.counters["step"] = s;
                run.values["perplexity"] = Array(real(pp));
                std::size_t n = 0;
                for (std::size_t l = 0; l < state.size(); ++l)
                    for (std::size_t k = 0; k < state[l].size(); ++k)
                        run.values[fmt::format("state.{}.{}", l, k)] = states[n++];
                nn::save_checkpoint(ckpt, model, &opt, run);
            }
        }
    }
    progress.finish();
    real shared = real(pp);
    world.broadcast(&shared, 1, 0);
    pp = double(shared);
    if (!world.is_root()) return require_pp > 0 && !(pp < require_pp) ? 1 : 0;  // rank 0 samples and reports
    Generator sg(static_cast<std::uint64_t>(seed) + 7);
    fmt::print("\nsample (temperature {}):\n{}\n\n", temperature,
               sample(model, v, text.substr(0, 1), std::size_t(sample_len), temperature, sg));
    fmt::print("validation perplexity {:.3f} after {} steps ({:.0f} s, {:.1f} ms/step)\n", pp, steps,
               progress.seconds(), 1000 * progress.seconds() / double(std::max(1L, steps - first + 1)));
    if (require_pp > 0 && !(pp < require_pp)) {
        fmt::print(stderr, "char_lm: perplexity {:.3f} is not below {:.3f}\n", pp, require_pp);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) { return dist::main("char_lm", run, argc, argv); }
