// SPDX-License-Identifier: MIT
// Moving a model over from PyTorch: tied weights load strictly, initial
// states in PyTorch's [layers*directions, B, H] form, final states made once,
// PyTorch's optimizer names, integer arrays kept integer. Fixtures from
// tools/make_fixtures.py (tied_lm.npz, lstm_h0.npz, gru_h0.npz).
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "helpers.hpp"

using namespace th;
using namespace tapegrad::nn;

namespace {
constexpr double kTol = kDouble ? 1e-9 : 2e-5;
std::string fixture(const std::string& name) { return std::string(TAPEGRAD_SOURCE_DIR) + "/tests/fixtures/" + name; }

NamedArrays prefixed(const NamedArrays& all, const std::string& prefix) {
    NamedArrays out;
    for (const auto& [k, v] : all)
        if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = v;
    return out;
}

// PyTorch's TiedLM of tools/make_fixtures.py, the tapegrad way: the output
// layer's weight handle re-pointed at the embedding's.
struct TiedLM : Module {
    Embedding emb{7, 5};
    GRU rnn{5, 5};
    Linear out{5, 7};
    TiedLM() {
        out.weight = emb.weight;
        register_module("emb", emb);
        register_module("rnn", rnn);
        register_module("out", out);
    }
};

std::string temp_path(const char* name) { return "/tmp/tapegrad_interop_" + std::to_string(::getpid()) + name; }
}  // namespace

TEST_CASE("interop: a tied PyTorch state_dict loads strictly and gives PyTorch's logits", "[interop]") {
    const NpzContents f = read_npz(fixture("tied_lm.npz"));
    REQUIRE(f.reals.count("out.weight"));  // PyTorch lists the shared tensor under both names
    TiedLM m;
    REQUIRE(m.tied_names() == std::vector<std::pair<std::string, std::string>>{{"out.weight", "emb.weight"}});
    NamedArrays weights = f.reals;
    weights.erase("logits");
    load_state_dict(m, weights);  // strict
    const Ids& ids = f.ids.at("ids");
    Tensor logits = m.out(m.rnn(m.emb(ids)).output);
    CHECK(close(logits.value(), f.reals.at("logits"), kTol));
    CHECK(m.out.weight.impl() == m.emb.weight.impl());  // still one tensor

    SECTION("the two names disagreeing is an error naming both, and nothing changes") {
        NamedArrays bad = weights;
        bad.at("out.weight")(3, 2) += 1;
        const Array before = m.emb.weight.value();
        require_throws_with<ValueError>([&] { load_state_dict(m, bad); },
                                        {"'emb.weight' and 'out.weight'", "tied", "element 17"});
        CHECK(close(m.emb.weight.value(), before, 0));
        bad.at("out.weight") = Array::from_shape({7, 4});
        require_throws_with<ValueError>([&] { load_state_dict(m, bad, false); }, {"[7, 5] and [7, 4]"});
    }
    SECTION("either name alone stands for the tensor; an unknown name is still refused") {
        NamedArrays only_out = weights;
        only_out.erase("emb.weight");
        TiedLM m2;
        load_state_dict(m2, only_out);
        CHECK(close(m2.emb.weight.value(), weights.at("emb.weight"), 0));
        NamedArrays extra = weights;
        extra["out.weight_typo"] = weights.at("out.weight");
        require_throws_with<ValueError>([&] { load_state_dict(m2, extra); }, {"unexpected 'out.weight_typo'"});
        NamedArrays neither = weights;
        neither.erase("emb.weight");
        neither.erase("out.weight");
        require_throws_with<ValueError>([&] { load_state_dict(m2, neither); }, {"missing 'emb.weight'"});
    }
    SECTION("save writes both names on request, so the file round-trips to PyTorch") {
        const std::string once = temp_path("once.npz"), every = temp_path("every.npz");
        save_parameters(once, m);
        save_parameters(every, m, TiedNames::Every);
        CHECK(load_npz(once).count("out.weight") == 0);
        const NamedArrays e = load_npz(every);
        REQUIRE(e.size() == weights.size());
        for (const auto& [k, v] : weights) CHECK(close(e.at(k), v, 0));
        TiedLM m3;
        load_parameters(every, m3);
        load_parameters(once, m3);
        std::remove(once.c_str());
        std::remove(every.c_str());
    }
}

TEST_CASE("interop: h0 and c0 in PyTorch's form give PyTorch's outputs and gradients", "[interop]") {
    for (const bool lstm : {true, false}) {
        INFO((lstm ? "LSTM" : "GRU"));
        const NamedArrays f = load_npz(fixture(lstm ? "lstm_h0.npz" : "gru_h0.npz"));
        const auto opts = RecurrentOptions().num_layers(2).bidirectional(true);
        std::unique_ptr<Recurrent> layer;
        if (lstm) layer = std::make_unique<LSTM>(4, 5, opts);
        else layer = std::make_unique<GRU>(4, 5, opts);
        load_state_dict(*layer, prefixed(f, "param."));
        Tensor x(f.at("x"), true), h0(f.at("h0"), true), c0;
        RecurrentArgs args = RecurrentArgs().h0(h0);
        if (lstm) args.c0(c0 = Tensor(f.at("c0"), true));
        SequenceOutput o = (*layer)(x, args);
        CHECK(close(o.output.value(), f.at("out"), kTol));
        CHECK(close(o.h_n().value(), f.at("h_n"), kTol));
        Tensor loss = sum(o.output * Tensor(f.at("r"))) + sum(o.h_n() * Tensor(f.at("rh")));
        if (lstm) {
            CHECK(close(o.c_n().value(), f.at("c_n"), kTol));
            loss = loss + sum(o.c_n() * Tensor(f.at("rc")));
        }
        loss.backward();
        CHECK(close(x.grad(), f.at("dx"), kTol));
        CHECK(close(h0.grad(), f.at("dh0"), kTol));
        if (lstm) CHECK(close(c0.grad(), f.at("dc0"), kTol));
        for (const auto& [name, p] : layer->named_parameters()) {
            INFO("gradient of " << name);
            CHECK(close(p.grad(), f.at("grad." + name), kTol));
        }
    }
}

TEST_CASE("interop: bad initial states are refused by name and shape", "[interop]") {
    LSTM lstm(3, 4, RecurrentOptions().num_layers(2));
    GRU gru(3, 4);
    const Tensor x = rnd({5, 2, 3}, 1), h = Tensor::zeros(make_shape({2, 2, 4}));
    require_throws_with<ShapeError>([&] { lstm(x, RecurrentArgs().h0(h).c0(Tensor::zeros(make_shape({2, 3, 4})))); },
                                    {"c0", "[2, 3, 4]", "expected [2, 2, 4]"});
    require_throws_with<ValueError>([&] { lstm(x, RecurrentArgs().h0(h)); }, {"h0 and c0 together"});
    require_throws_with<ValueError>([&] { gru(x, RecurrentArgs().h0(h).c0(h)); }, {"no cell state"});
    require_throws_with<ValueError>(
        [&] { lstm(x, RecurrentArgs().h0(h).c0(h).initial({lstm.cell(0).initial_state(2)})); }, {"given twice"});
    // the per-layer form still works, and agrees with the PyTorch form
    Tensor h0 = rnd({2, 2, 4}, 2), c0 = rnd({2, 2, 4}, 3);
    SequenceOutput a = lstm(x, RecurrentArgs().h0(h0).c0(c0));
    SequenceOutput b = lstm(x, RecurrentArgs().initial({State({select(h0, 0), select(c0, 0)}),
                                                        State({select(h0, 1), select(c0, 1)})}));
    CHECK(close(a.output.value(), b.output.value(), 0));
}

TEST_CASE("interop: h_n() and c_n() are made once per forward, not once per call", "[interop]") {
    LSTM lstm(3, 4, RecurrentOptions().num_layers(2).bidirectional(true));
    SequenceOutput o = lstm(rnd({5, 2, 3}, 1));
    const Tensor& first = o.h_n();
    Tensor loss = sum(o.output) + sum(o.h_n()) + sum(o.h_n()) + sum(o.c_n()) + sum(o.c_n());
    CHECK(o.h_n().impl() == first.impl());
    const SequenceOutput copy = o;
    CHECK(copy.h_n().impl() == first.impl());
    auto is_stack = [](const TensorImpl& n) { return n.op && std::string(n.op) == "stack"; };
    const std::size_t stacks_of_outputs = 4;  // each layer and direction stacks its steps' outputs once
    CHECK(count_nodes(loss, is_stack) == stacks_of_outputs + 2);
    loss.backward();  // on the tape: gradients reach the parameters through the final states
    CHECK(lstm.cell(1, true).weight_hh.has_grad());
}

TEST_CASE("interop: integer arrays stay integer, and give lengths directly", "[interop]") {
    const NpzContents f = read_npz(fixture("tied_lm.npz"));
    REQUIRE(f.ids.count("lengths"));
    CHECK(f.ids.at("lengths").to_vector() == std::vector<Index>{3, 2});
    CHECK(f.ids.at("ids").shape() == make_shape({3, 2}));
    CHECK(f.reals.count("lengths") == 0);
    GRU gru(5, 5);
    SequenceOutput o = gru(rnd({3, 2, 5}, 4), RecurrentArgs().lengths(f.ids.at("lengths")));
    CHECK(o.output.at({2, 1, 0}) == 0);  // sequence 1 has two steps
    CHECK(o.output.at({2, 0, 0}) != 0);
    require_throws_with<ValueError>([&] { RecurrentArgs().lengths(Ids::from({3, -1})); }, {"negative"});
    // an id past 2^53 survives, which a double would round
    NpzContents big;
    big.ids["x"] = Ids::from({(Index(1) << 53) + 1, -7});
    big.reals["w"] = Array::from_shape({2});
    big.reals["w"].fill(real(0.5));
    const std::string path = temp_path("ids.npz");
    save_npz(path, big);
    const NpzContents back = read_npz(path);
    CHECK(back.ids.at("x").to_vector() == big.ids.at("x").to_vector());
    CHECK(back.reals.at("w")(1) == real(0.5));
    CHECK(load_npz(path).at("x")(1) == real(-7));  // load_npz: everything as real
    std::remove(path.c_str());
}

TEST_CASE("interop: PyTorch's optimizer names", "[interop]") {
    using namespace tapegrad::optim;
    Tensor p1 = Tensor::from({1, -2, 3}, make_shape({3}), true), p2 = Tensor::from({1, -2, 3}, make_shape({3}), true);
    AdamW a({p1}, 0.1, {0.8, 0.9}, 1e-8, 0.5);
    Adam b({p2}, AdamOptions{real(0.1)}.betas({0.8, 0.9}));
    for (Tensor* p : {&p1, &p2}) {
        p->zero_grad();
        sum(*p * *p).backward();
    }
    a.step();
    b.step();
    // the same Adam step, and AdamW's decoupled decay on top: p - lr * wd * p
    for (std::size_t k = 0; k < 3; ++k)
        CHECK(p1.value()(k) == Approx(p2.value()(k) - 0.1 * 0.5 * (k == 1 ? -2 : k == 0 ? 1 : 3)).epsilon(1e-6));
    RMSprop r({p1}, RMSpropOptions{real(0.01)});
    p1.zero_grad();
    sum(p1).backward();
    CHECK(clip_grad_norm_({p1}, 1.0) == Approx(std::sqrt(3.0)));
}

namespace {
// README, "Coming from PyTorch": the tapegrad side, as printed there.
struct LM : Module {
    Embedding emb{65, 64};
    LSTM rnn{64, 128, RecurrentOptions().num_layers(2)};
    Linear out{128, 65};
    LM() { register_module("emb", emb); register_module("rnn", rnn); register_module("out", out); }
    SequenceOutput forward(const Ids& x, const Tensor& h0, const Tensor& c0) {
        return rnn(emb(x), RecurrentArgs().h0(h0).c0(c0));
    }
};
}  // namespace

TEST_CASE("interop: the README's side-by-side training loop runs and learns", "[interop]") {
    using namespace tapegrad::optim;
    LM m;
    Generator g(5);
    Ids x = Ids::zeros({6, 2}), y = Ids::zeros({6, 2});
    for (std::size_t k = 0; k < x.numel(); ++k) x.data()[k] = Index(g.next() % 65), y.data()[k] = Index(g.next() % 65);
    const Tensor h0 = Tensor::zeros(make_shape({2, 2, 128})), c0 = h0;
    AdamW opt(m.parameters(), 3e-3, {0.9, 0.98});
    double first = 0, last = 0;
    for (int step = 0; step < 20; ++step) {
        SequenceOutput o = m.forward(x, h0, c0);
        CHECK(o.h_n().shape() == make_shape({2, 2, 128}));
        Tensor loss = cross_entropy(m.out(o.output), y);
        opt.zero_grad();
        loss.backward();
        clip_grad_norm_(m.parameters(), 5.0);
        opt.step();
        (step == 0 ? first : last) = loss.item();
    }
    CHECK(last < 0.5 * first);  // it memorises twelve tokens
}
