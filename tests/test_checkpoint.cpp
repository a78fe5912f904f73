// SPDX-License-Identifier: MIT
// Checkpoints: .npz round trips, exact resume, clear errors on files that do
// not fit, and damaged files.
#include <unistd.h>

#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <thread>

#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;
using namespace tapegrad::optim;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("tapegrad-test-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

struct Model : Module {
    Embedding emb;
    LSTM lstm;
    Linear out;
    explicit Model(Generator& g) : emb(6, 3, -1, g), lstm(3, 4, {}, false, g), out(4, 6, true, g) {
        register_module("emb", emb);
        register_module("lstm", lstm);
        register_module("out", out);
    }
    Tensor loss(const IndexArray& x, const IndexArray& y) { return cross_entropy(out(lstm.forward(emb(x)).output), y); }
};

IndexArray batch(std::size_t step, std::size_t offset) {
    IndexArray ids = IndexArray::from_shape({4, 2});
    for (std::size_t k = 0; k < ids.size(); ++k) ids.data()[k] = static_cast<Index>((k * 7 + step * 3 + offset) % 6);
    return ids;
}

void train_steps(Model& m, Optimizer& opt, std::size_t from, std::size_t to) {
    for (std::size_t s = from; s < to; ++s) {
        opt.zero_grad();
        m.loss(batch(s, 0), batch(s, 1)).backward();
        clip_grad_norm(m.parameters(), 1.0);
        opt.step();
    }
}

std::string read_all(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_CASE("save_npz / load_npz round trip, and the file is a valid .npy-in-zip", "[checkpoint]") {
    TempDir d;
    NamedArrays a{{"w", rnd({2, 3}, 1).value()}, {"scalar", Array(real(4))}, {"v", rnd({5}, 2).value()},
                  {"empty", Array::from_shape({0, 3})}};
    save_npz(d.file("a.npz"), a);
    NamedArrays b = load_npz(d.file("a.npz"));
    REQUIRE(b.size() == 4);
    for (const auto& [k, v] : a) CHECK(close(b.at(k), v, 0));
    const std::string bytes = read_all(d.file("a.npz"));
    CHECK(bytes.substr(0, 4) == std::string("PK\x03\x04", 4));
    CHECK(bytes.find("{'descr': '<f") != std::string::npos);
    CHECK(bytes.find("'shape': (2, 3)") != std::string::npos);
    CHECK(bytes.find("'shape': (5,)") != std::string::npos);
    CHECK(bytes.find("'shape': ()") != std::string::npos);
    CHECK_FALSE(fs::exists(d.file("a.npz.tmp." + std::to_string(::getpid()))));
}

TEST_CASE("save, load into a fresh model: same outputs", "[checkpoint]") {
    TempDir d;
    Generator g1(1), g2(2);
    Model a(g1), b(g2);
    save_parameters(d.file("m.npz"), a);
    load_parameters(d.file("m.npz"), b);
    NoGradGuard ng;
    CHECK(a.loss(batch(0, 0), batch(0, 1)).item() == b.loss(batch(0, 0), batch(0, 1)).item());
}

TEST_CASE("exact resume: N steps, save, load, M steps == N+M steps straight", "[checkpoint]") {
    TempDir d;
    Generator g1(5), g2(5), g3(99);
    Model straight(g1), first(g2), resumed(g3);
    Adam opt_s(straight.parameters()), opt_f(first.parameters()), opt_r(resumed.parameters());
    train_steps(straight, opt_s, 0, 7);
    train_steps(first, opt_f, 0, 4);
    save_checkpoint(d.file("ckpt.npz"), first, &opt_f);
    load_checkpoint(d.file("ckpt.npz"), resumed, &opt_r);
    train_steps(resumed, opt_r, 4, 7);
    auto ps = straight.named_parameters(), pr = resumed.named_parameters();
    for (std::size_t i = 0; i < ps.size(); ++i) {
        INFO(ps[i].first);
        CHECK(close(pr[i].second.value(), ps[i].second.value(), 0));  // bit-identical
    }
}

TEST_CASE("loading a file that does not fit names every offending tensor", "[checkpoint][errors]") {
    TempDir d;
    Generator g(1);
    Linear lin(3, 2, true, g);
    save_npz(d.file("bad.npz"), {{"weight", Array::from_shape({2, 4})}, {"extra", Array::from_shape({1})}});
    require_throws_with<ValueError>([&] { load_parameters(d.file("bad.npz"), lin); },
                                    {"bad.npz", "missing 'bias'", "'weight' has shape [2, 4]", "needs [2, 3]",
                                     "unexpected 'extra'"});
    Array before = lin.weight.value();
    CHECK(close(lin.weight.value(), before, 0));  // nothing was half-loaded
    Adam opt(lin.parameters());
    save_checkpoint(d.file("no_opt.npz"), lin);
    require_throws_with<ValueError>([&] { load_checkpoint(d.file("no_opt.npz"), lin, &opt); },
                                    {"no_opt.npz", "no optimizer state"});
}

TEST_CASE("damaged files give clear errors, never a crash", "[checkpoint][errors]") {
    TempDir d;
    save_npz(d.file("ok.npz"), {{"w", rnd({4, 4}, 1).value()}});
    const std::string good = read_all(d.file("ok.npz"));
    auto write = [&](const std::string& bytes) {
        std::ofstream(d.file("x.npz"), std::ios::binary) << bytes;
        return d.file("x.npz");
    };
    require_throws_with<Error>([&] { load_npz(d.file("missing.npz")); }, {"missing.npz", "cannot open"});
    require_throws_with<ValueError>([&] { load_npz(write("")); }, {"too short"});
    require_throws_with<ValueError>([&] { load_npz(write(good.substr(0, good.size() / 2))); }, {"x.npz"});
    std::string flipped = good;
    flipped[good.find("NUMPY") + 120] ^= 0x55;  // a data byte
    require_throws_with<ValueError>([&] { load_npz(write(flipped)); }, {"checksum mismatch", "'w'"});
    require_throws_with<ValueError>([&] { load_npz(write(std::string(100, 'x'))); }, {"not an .npz"});
    // every truncation point fails cleanly
    for (std::size_t n = 0; n < good.size(); n += 7) CHECK_THROWS_AS(parse_npz(good.substr(0, n), "cut"), ValueError);
}

TEST_CASE("an interrupted save leaves the previous checkpoint intact", "[checkpoint]") {
    TempDir d;
    save_npz(d.file("c.npz"), {{"w", Array(real(1))}});
    // a save that cannot complete: files may not grow past 4 KiB
    // (RLIMIT_FSIZE holds for root too, where permissions would not)
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    rlimit small = saved;
    small.rlim_cur = 4096;
    ::setrlimit(RLIMIT_FSIZE, &small);
    const Array big = xt::ones<real>({100000});
    CHECK_THROWS_AS(save_npz(d.file("c.npz"), {{"w", big}}), Error);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    CHECK(load_npz(d.file("c.npz")).at("w").data()[0] == 1);
    // and the failed save's temporary file is gone
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(d.path)) files += e.is_regular_file();
    CHECK(files == 1);
}

TEST_CASE("saves to one path from several threads: every read sees a complete checkpoint", "[checkpoint]") {
    TempDir d;
    const std::string path = d.file("c.npz");
    save_npz(path, {{"w", xt::zeros<real>({1000})}});
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    auto writer = [&](real v) {
        for (int i = 0; i < 30; ++i) try {
                save_npz(path, {{"w", Array(xt::zeros<real>({1000}) + v)}});
            } catch (const Error&) {
                ++failures;
            }
    };
    std::thread reader([&] {
        while (!stop.load()) try {
                const Array w = load_npz(path).at("w");
                // all of one save: every element the same
                if (w.size() != 1000 || xt::amax(w)() != xt::amin(w)()) ++failures;
            } catch (const Error&) {
                ++failures;
            }
    });
    std::thread a(writer, real(1)), b(writer, real(2));
    a.join();
    b.join();
    stop = true;
    reader.join();
    CHECK(failures.load() == 0);
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(d.path)) files += e.is_regular_file();
    CHECK(files == 1);  // no temporary left behind
}

TEST_CASE("weights exported from PyTorch with np.savez (zip64 entries) load by name", "[checkpoint]") {
    const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/linear_embedding.npz");
    CHECK(f.at("lin.weight").shape() == make_shape({3, 4}));
    CHECK(f.at("ids").shape() == make_shape({2, 3}));  // int64 array
    CHECK(f.at("ids")(0, 2) == 6);
}

namespace {
// A model that draws from generators while training: dropout between two
// LSTM layers and before the output, and its data sampled from `data`.
struct DropoutModel : Module {
    Embedding emb;
    LSTM lstm;
    Dropout drop;
    Linear out;
    explicit DropoutModel(Generator& g)
        : emb(6, 3, -1, g), lstm(3, 8, RecurrentOptions().num_layers(2).dropout(real(0.5)).seed(11), false, g), drop(0.3, 12), out(8, 6, true, g) {
        register_module("emb", emb);
        register_module("lstm", lstm);
        register_module("drop", drop);
        register_module("out", out);
    }
};

void train_dropout(DropoutModel& m, Optimizer& opt, Generator& data, int steps) {
    for (int s = 0; s < steps; ++s) {
        IndexArray x = IndexArray::from_shape({4, 2}), y = IndexArray::from_shape({4, 2});
        for (auto& v : x) v = Index(data.next() % 6);
        for (auto& v : y) v = Index(data.next() % 6);
        Tensor noise = randn(make_shape({4, 2, 6}));  // the default generator, too
        opt.zero_grad();
        (cross_entropy(m.out(m.drop(m.lstm.forward(m.emb(x)).output)) + real(0.01) * noise, y)).backward();
        opt.step();
    }
}

std::vector<Array> values_of(const Module& m) {
    std::vector<Array> v;
    for (const auto& [n, p] : m.named_parameters()) v.push_back(p.value());
    return v;
}
}  // namespace

TEST_CASE("exact resume with dropout: every generator the run draws from is in the checkpoint", "[checkpoint]") {
    TempDir d;
    Generator g1(5), g2(5), g3(77), data_s(3), data_f(3), data_r(1234);
    DropoutModel straight(g1), first(g2), resumed(g3);
    Adam opt_s(straight.parameters()), opt_f(first.parameters()), opt_r(resumed.parameters());
    manual_seed(42);
    train_dropout(straight, opt_s, data_s, 6);
    manual_seed(42);
    train_dropout(first, opt_f, data_f, 3);
    RunState saved{{{"data", &data_f}}, {{"step", 3}, {"epoch", 1}, {"big", std::int64_t(1) << 50}}, {}};
    saved.values["carried"] = rnd({2, 3}, 5).value();
    save_checkpoint(d.file("ckpt.npz"), first, &opt_f, saved);
    manual_seed(999);  // a fresh process would have drawn other numbers
    RunState run{{{"data", &data_r}}, {}, {}};
    load_checkpoint(d.file("ckpt.npz"), resumed, &opt_r, run);
    // the counters come back exactly (float32 could not hold 2^50 + 1), and the named values
    CHECK(run.counter("step") == 3);
    CHECK(run.counter("epoch") == 1);
    CHECK(run.counter("big") == std::int64_t(1) << 50);
    CHECK(close(run.values.at("carried"), saved.values.at("carried"), 0));
    require_throws_with<ValueError>([&] { run.counter("batch"); }, {"no counter 'batch'"});
    train_dropout(resumed, opt_r, data_r, 3);
    const auto vs = values_of(straight), vr = values_of(resumed);
    for (std::size_t i = 0; i < vs.size(); ++i) CHECK(close(vr[i], vs[i], 0));  // bit-identical
    // the generators the checkpoint carries, by name
    const NamedArrays f = load_npz(d.file("ckpt.npz"));
    for (const char* k : {"rng/default", "rng/data", "rng/model.lstm.dropout_generator", "rng/model.drop.generator",
                          "meta/step", "value/carried"})
        CHECK(f.count(k) == 1);
    // a generator the checkpoint has but the program does not pass is named
    DropoutModel other(g3);
    Adam opt_o(other.parameters());
    require_throws_with<ValueError>([&] { load_checkpoint(d.file("ckpt.npz"), other, &opt_o); }, {"rng/data"});
}

TEST_CASE("a generator's state round-trips, and a damaged state is refused", "[checkpoint][errors]") {
    Generator g(17);
    for (int i = 0; i < 500; ++i) g.next();  // mid-block position
    Generator h = Generator::from_state(g.state(), "test");
    for (int i = 0; i < 1000; ++i) REQUIRE(g.next() == h.next());
    Array s = g.state();
    require_throws_with<ValueError>([&] { Generator::from_state(Array::from_shape({3, 4}), "x"); }, {"x", "[313, 4]"});
    Array bad = s;
    bad(5, 1) = real(0.5);
    require_throws_with<ValueError>([&] { Generator::from_state(bad, "x"); }, {"x", "(5, 1)", "16-bit"});
    bad = s;
    bad(312, 0) = 400;  // a position past the state's end
    require_throws_with<ValueError>([&] { Generator::from_state(bad, "x"); }, {"x", "position 400"});
}

TEST_CASE("a load that fails changes nothing: every entry dropped or damaged in turn", "[checkpoint][errors]") {
    TempDir d;
    Generator g1(5), g2(9), data(3), data2(4);
    DropoutModel src(g1), dst(g2);
    Adam opt_src(src.parameters()), opt_dst(dst.parameters());
    train_dropout(src, opt_src, data, 2);
    train_dropout(dst, opt_dst, data2, 1);
    RunState src_run{{{"data", &data}}, {{"step", 2}}, {{"carried", rnd({3}, 4).value()}}};
    RunState dst_run{{{"data", &data2}}, {{"step", 1}}, {}};
    save_checkpoint(d.file("good.npz"), src, &opt_src, src_run);
    save_checkpoint(d.file("dst.npz"), dst, &opt_dst, dst_run);  // dst as it is, to go back to
    const NamedArrays good = load_npz(d.file("good.npz")), before = load_npz(d.file("dst.npz"));
    // everything dst's checkpoint would hold now
    auto now = [&] {
        save_checkpoint(d.file("now.npz"), dst, &opt_dst, dst_run);
        return load_npz(d.file("now.npz"));
    };
    auto same = [](const NamedArrays& a, const NamedArrays& b) {
        if (a.size() != b.size()) return false;
        for (const auto& [k, v] : a)
            if (!b.count(k) || v.shape() != b.at(k).shape() ||
                !std::equal(v.begin(), v.end(), b.at(k).begin(), [](real x, real y) { return x == y || (x != x && y != y); }))
                return false;
        return true;
    };
    const std::vector<std::pair<const char*, std::function<void(Array&)>>> damages = {
        {"reshaped", [](Array& a) { a = Array(xt::zeros<real>({a.size() + 1})); }},
        {"NaN", [](Array& a) { a.data()[a.size() - 1] = std::numeric_limits<real>::quiet_NaN(); }},
        {"-1", [](Array& a) { a.data()[0] = -1; }},
        {"0.5", [](Array& a) { a.data()[0] = real(0.5); }},
    };
    for (const auto& [key, value] : good) {
        INFO(key);
        NamedArrays dropped = good;
        dropped.erase(key);
        // a program's own counters and values are whatever the checkpoint holds
        const bool free_form = key.rfind("meta/", 0) == 0 || key.rfind("value/", 0) == 0;
        // true if refused (then nothing changed), false if loaded (then all of it)
        auto all_or_nothing = [&](const NamedArrays& file) {
            save_npz(d.file("bad.npz"), file);
            bool refused = false;
            try {
                load_checkpoint(d.file("bad.npz"), dst, &opt_dst, dst_run);
            } catch (const ValueError&) {
                refused = true;
            }
            if (refused) {
                REQUIRE(same(now(), before));  // nothing ...
            } else {
                REQUIRE(same(now(), file));  // ... or all
                load_checkpoint(d.file("dst.npz"), dst, &opt_dst, dst_run);
            }
            return refused;
        };
        CHECK(all_or_nothing(dropped) == !free_form);
        for (const auto& [what, damage] : damages) {
            INFO(what);
            NamedArrays damaged = good;
            damage(damaged.at(key));
            const bool refused = all_or_nothing(damaged);
            // what is never a legal value: a wrong shape; NaN or a fraction in a step count or a generator
            const bool must_refuse = (std::string(what) == "reshaped" && key.rfind("value/", 0) != 0) ||
                                     (key.rfind("optim/", 0) == 0 && std::string(what) == "NaN") ||
                                     key.rfind("rng/", 0) == 0 || key.rfind("meta/", 0) == 0 || key == "optim/step";
            if (must_refuse) CHECK(refused);
        }
    }
}

TEST_CASE("optimizer state from a file is checked as the constructor checks its arguments", "[optim][errors]") {
    Generator g(1);
    Linear lin(3, 2, true, g);
    Adam adam(lin.parameters());
    const StateDict good = adam.state();
    auto with = [&](const std::string& key, Array v) {
        StateDict s = good;
        s[key] = std::move(v);
        return s;
    };
    const real nan = std::numeric_limits<real>::quiet_NaN(), inf = std::numeric_limits<real>::infinity();
    require_throws_with<ValueError>([&] { adam.load_state(with("step", Array::from_shape({0}))); },
                                    {"load_state", "'step'", "[0]", "single number"});
    require_throws_with<ValueError>([&] { adam.load_state(with("lr", xt::ones<real>({2}))); }, {"'lr'", "[2]"});
    for (real bad : {real(-1), nan, inf})
        require_throws_with<ValueError>([&] { adam.load_state(with("lr", Array(bad))); }, {"learning rate"});
    for (real bad : {real(-1), real(1.5), nan, real(1e30)})
        require_throws_with<ValueError>([&] { adam.load_state(with("step", Array(bad))); }, {"step", "whole number"});
    Array sq = good.at("exp_avg_sq.0");
    sq(0, 0) = -1;
    require_throws_with<ValueError>([&] { adam.load_state(with("exp_avg_sq.0", sq)); },
                                    {"'exp_avg_sq.0'", "-1", ">= 0"});
    Array m = good.at("exp_avg.1");
    m(1) = inf;
    require_throws_with<ValueError>([&] { adam.load_state(with("exp_avg.1", m)); }, {"'exp_avg.1'", "finite"});
    require_throws_with<ValueError>([&] { adam.load_state(with("momentum.0", Array(real(0)))); },
                                    {"unexpected entry 'momentum.0'"});
    // the same checks as the constructor's
    require_throws_with<ValueError>([&] { Adam(lin.parameters(), {nan}); }, {"learning rate"});
    require_throws_with<ValueError>([&] { adam.set_lr(-2); }, {"learning rate"});
    // and nothing above changed the state
    const StateDict now = adam.state();
    for (const auto& [k, v] : good) CHECK(close(now.at(k), v, 0));
}
