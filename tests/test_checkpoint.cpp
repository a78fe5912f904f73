// Checkpoints: .npz round trips, exact resume, clear errors on files that do
// not fit, and damaged files.
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
    // a save that cannot complete (its temporary file cannot be created)
    fs::create_directories(d.file("c.npz.tmp." + std::to_string(::getpid())));
    CHECK_THROWS_AS(save_npz(d.file("c.npz"), {{"w", Array(real(2))}}), Error);
    CHECK(load_npz(d.file("c.npz")).at("w").data()[0] == 1);
}

TEST_CASE("weights exported from PyTorch with np.savez (zip64 entries) load by name", "[checkpoint]") {
    const NamedArrays f = load_npz(std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/linear_embedding.npz");
    CHECK(f.at("lin.weight").shape() == make_shape({3, 4}));
    CHECK(f.at("ids").shape() == make_shape({2, 3}));  // int64 array
    CHECK(f.at("ids")(0, 2) == 6);
}
