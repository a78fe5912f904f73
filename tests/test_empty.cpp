// SPDX-License-Identifier: MIT
// Empty tensors, element counts too large to address, and masked positions.
// An op over an empty axis either gives the empty (or zero) result NumPy
// and PyTorch give, or a clear error naming it -- never a read of element 0
// of an empty buffer or a division by a zero length.
#include <limits>

#include <ops/broadcast.hpp>

#include "helpers.hpp"

using namespace th;

namespace {
bool all_zero(const Array& a) {
    for (real v : a)
        if (v != 0) return false;
    return true;
}
}  // namespace

TEST_CASE("matmul and linear over an empty inner axis give zeros, over an empty batch an empty result", "[empty]") {
    Tensor a = Tensor::zeros(make_shape({3, 0}), true), b = Tensor::zeros(make_shape({0, 4}), true);
    Tensor y = matmul(a, b);
    REQUIRE(y.shape() == make_shape({3, 4}));
    CHECK(all_zero(y.value()));
    sum(y).backward();
    CHECK(a.grad().shape() == make_shape({3, 0}));
    CHECK(b.grad().shape() == make_shape({0, 4}));
    Tensor c = Tensor::zeros(make_shape({2, 3, 0}), true), d = Tensor::zeros(make_shape({2, 0, 5}), true);
    CHECK(matmul(c, d).shape() == make_shape({2, 3, 5}));
    CHECK(matmul(Tensor::zeros(make_shape({0, 5})), rnd({5, 2}, 1)).shape() == make_shape({0, 2}));

    // linear: in-features 0 leaves the bias; a batch of 0 rows, nothing
    Tensor W = Tensor::zeros(make_shape({3, 0}), true), bias = rnd({3}, 2);
    Tensor x = Tensor::zeros(make_shape({4, 0}), true);
    Tensor out = linear(x, W, bias);
    REQUIRE(out.shape() == make_shape({4, 3}));
    for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t j = 0; j < 3; ++j) CHECK(out.value()(r, j) == bias.value()(j));
    sum(out).backward();
    CHECK(W.grad().shape() == make_shape({3, 0}));
    CHECK(bias.grad()(0) == 4);
    Tensor none = Tensor::zeros(make_shape({0, 5}), true);
    Tensor W2 = rnd({3, 5}, 3);
    Tensor empty_out = linear(none, W2, rnd({3}, 4));
    CHECK(empty_out.shape() == make_shape({0, 3}));
    sum(empty_out).backward();
    CHECK(all_zero(W2.grad()));
}

TEST_CASE("softmax and log_softmax over an empty axis or batch give an empty result", "[empty]") {
    for (const Shape& s : {make_shape({3, 0}), make_shape({0, 4}), make_shape({2, 0, 3})})
        for (std::ptrdiff_t axis : {0, 1}) {
            Tensor x = Tensor::zeros(s, true);
            Tensor p = softmax(x, axis), l = log_softmax(x, axis);
            CHECK(p.shape() == s);
            CHECK(l.shape() == s);
            sum(p + l).backward();
            CHECK(x.grad().shape() == s);
        }
}

TEST_CASE("cross_entropy: no classes is an error, no positions a zero loss", "[empty]") {
    IndexArray t = IndexArray::from_shape({2});
    t.fill(0);
    require_throws_with<ValueError>([&] { cross_entropy(Tensor::zeros(make_shape({2, 0})), t); },
                                    {"cross_entropy", "[2, 0]", "no classes"});
    // every target ignored, too: the rows are there but carry no class
    t.fill(-100);
    require_throws_with<ValueError>([&] { cross_entropy(Tensor::zeros(make_shape({2, 0})), t); }, {"no classes"});
    Tensor z = Tensor::zeros(make_shape({0, 5}), true);
    Tensor loss = cross_entropy(z, IndexArray::from_shape({0}));
    CHECK(loss.item() == 0);
    loss.backward();
    CHECK(z.grad().shape() == make_shape({0, 5}));
    CHECK(mse(Tensor::zeros(make_shape({0})), Tensor::zeros(make_shape({0}))).item() == 0);
}

TEST_CASE("joins, sums and lookups of empty tensors", "[empty]") {
    Tensor a = Tensor::zeros(make_shape({2, 0}), true), b = rnd({2, 3}, 1);
    CHECK(concat({a, b}, 1).shape() == make_shape({2, 3}));
    CHECK(stack({a, a}, 0).shape() == make_shape({2, 2, 0}));
    CHECK(sum(a).item() == 0);
    CHECK(reshape(a, {0, 7}).shape() == make_shape({0, 7}));
    Tensor table = rnd({5, 3}, 2);
    CHECK(index_select(table, IndexArray::from_shape({0})).shape() == make_shape({0, 3}));
    IndexArray two = IndexArray::from_shape({2});
    two.fill(1);
    CHECK(index_select(Tensor::zeros(make_shape({5, 0})), two).shape() == make_shape({2, 0}));
    CHECK(linear(rnd({4, 3}, 3), Tensor::zeros(make_shape({0, 3})), Tensor::zeros(make_shape({0}))).shape() ==
          make_shape({4, 0}));
    CHECK(select(Tensor::zeros(make_shape({3, 0})), 1).shape() == make_shape({0}));
    nn::LSTM lstm(4, 6);
    CHECK(lstm.forward(Tensor::zeros(make_shape({3, 0, 4}))).output.shape() == make_shape({3, 0, 6}));
}

TEST_CASE("a shape whose element count overflows is refused before anything is allocated", "[empty][errors]") {
    const std::size_t big = std::size_t(1) << 40;
    const Shape huge{big, big}, huger{big, big, 2};
    require_throws_with<ValueError>([&] { Tensor::zeros(huge); }, {"Tensor::zeros", "more elements than memory can address"});
    require_throws_with<ValueError>([&] { Tensor::full(huger, 1); }, {"Tensor::full"});
    require_throws_with<ValueError>([&] { randn(huge); }, {"randn"});
    require_throws_with<ValueError>([&] { Tensor::from({1}, huge); }, {"Tensor::from"});
    // empty tensors may have huge dims beside their 0 ...
    const Shape tall_shape{big, 0}, wide_shape{0, big};
    Tensor tall = Tensor::zeros(tall_shape), wide = Tensor::zeros(wide_shape);
    CHECK(reshape(tall, {std::ptrdiff_t(big), 0, 3}).numel() == 0);
    // ... but a product of them would have big * big elements
    require_throws_with<ValueError>([&] { matmul(tall, wide); }, {"matmul", "more elements"});
    require_throws_with<ValueError>([&] { reshape(tall, {std::ptrdiff_t(big), std::ptrdiff_t(big), -1}); }, {"reshape"});
    // the shape every elementwise op broadcasts to
    const Shape column{big, 1}, row{1, big};
    require_throws_with<ValueError>([&] { broadcast_shapes("add", column, row); }, {"add", "more elements"});
}

TEST_CASE("masked positions get exactly zero weight, whatever the scores", "[empty][attention]") {
    // scores far beyond any finite "masked score" in both directions
    for (real scale : {real(1e3), real(1e9), real(1e30), real(-1e30)}) {
        INFO("scale " << scale);
        Tensor e = Tensor::from({1 * scale, 2 * scale, -1 * scale, 3 * scale, 0, 0, 0, 0}, make_shape({2, 4}), true);
        Tensor mask = Tensor::from({1, 0, 1, 0, 0, 0, 0, 0}, make_shape({2, 4}));
        Tensor alpha = masked_softmax(e, mask, 1);
        CHECK(alpha.value()(0, 1) == 0);
        CHECK(alpha.value()(0, 3) == 0);
        CHECK(alpha.value()(0, 0) + alpha.value()(0, 2) == Approx(1));
        for (std::size_t s = 0; s < 4; ++s) CHECK(alpha.value()(1, s) == 0);  // every position masked
        sum(alpha * Tensor::from({1, 2, 3, 4, 5, 6, 7, 8}, make_shape({2, 4}))).backward();
        for (real g : e.grad()) CHECK(std::isfinite(g));
        CHECK(e.grad()(0, 1) == 0);
        CHECK(e.grad()(1, 0) == 0);
    }
    // the attention op and module: a query whose scores dwarf any finite mask value
    Tensor keys = rnd({2, 3, 4}, 5), q = rnd({2, 4}, 6) * real(1e8);
    Tensor mask = Tensor::from({1, 0, 1, 0, 0, 0}, make_shape({2, 3}));
    Tensor w = attention_weights(q, keys, mask);
    CHECK(w.value()(0, 1) == 0);
    for (std::size_t s = 0; s < 3; ++s) CHECK(w.value()(1, s) == 0);
    for (auto score : {nn::Score::Dot, nn::Score::Additive}) {
        nn::Attention att(score, 4, 4, 5);
        auto r = att(q, keys, mask);
        CHECK(r.weights.value()(0, 1) == 0);
        for (std::size_t s = 0; s < 3; ++s) CHECK(r.weights.value()(1, s) == 0);
        for (real v : r.context.value()) CHECK(std::isfinite(v));
    }
}
