// SPDX-License-Identifier: MIT
// Forward values and numerical stability.
#include <algorithm>
#include <cmath>

#include "helpers.hpp"

using namespace th;

TEST_CASE("softmax, log_softmax and cross_entropy stay finite for logits of magnitude 1e4", "[values]") {
    Tensor z = Tensor::from({1e4, -1e4, 0, 1e4 - 1}, make_shape({1, 4}), true);
    Tensor p = softmax(z, 1);
    Tensor lp = log_softmax(z, 1);
    for (real v : p.value()) CHECK(std::isfinite(v));
    for (real v : lp.value()) CHECK(std::isfinite(v));
    CHECK(p.at({0, 0}) == Approx(1 / (1 + std::exp(-1.0))).epsilon(1e-5));
    IndexArray t = {1};
    Tensor loss = cross_entropy(z, t);
    // -log p[1] = logsumexp - z[1] = 1e4 + log(1 + e^-1 + ...) + 1e4
    CHECK(loss.item() == Approx(2e4 + std::log(1 + std::exp(-1.0))).epsilon(1e-6));
    loss.backward();
    for (real v : z.grad()) CHECK(std::isfinite(v));
}

TEST_CASE("sigmoid and tanh saturate cleanly at +-1e4", "[values]") {
    Tensor x = Tensor::from({-1e4, 1e4}, make_shape({2}), true);
    Tensor s = sigmoid(x), t = tanh(x);
    CHECK(s.at({0}) == 0);
    CHECK(s.at({1}) == 1);
    CHECK(t.at({0}) == -1);
    CHECK(t.at({1}) == 1);
    sum(s + t).backward();
    for (real v : x.grad()) CHECK(v == 0);
}

TEST_CASE("cross_entropy ignores padding positions in the mean", "[values]") {
    Tensor z = rnd({3, 4}, 1);
    IndexArray t = {2, -100, 1};
    Tensor full = cross_entropy(z, t, -100, Reduction::None);
    CHECK(full.at({1}) == 0);
    Tensor m = cross_entropy(z, t);
    CHECK(m.item() == Approx((full.at({0}) + full.at({2})) / 2));
    m.backward();
    for (std::size_t c = 0; c < 4; ++c) CHECK(z.grad()(1, c) == 0);
    IndexArray all_pad = {-100, -100, -100};
    CHECK(cross_entropy(z, all_pad).item() == 0);
}

TEST_CASE("dropout: identity in eval, seeded masks, kept values scaled by 1/(1-p)", "[values]") {
    Tensor x = Tensor::ones(make_shape({1000}), true);
    CHECK(dropout(x, real(0.3), false).impl() == x.impl());
    Generator g1(3), g2(3);
    Tensor a = dropout(x, real(0.3), true, g1), b = dropout(x, real(0.3), true, g2);
    CHECK(close(a.value(), b.value(), 0));
    std::size_t zeros = 0;
    for (real v : a.value()) {
        if (v == 0) ++zeros;
        else CHECK(v == Approx(1 / 0.7));
    }
    CHECK(zeros > 230);
    CHECK(zeros < 370);
}

TEST_CASE("permute puts every element where its index says, for every order of four axes", "[values]") {
    const Shape shape = make_shape({2, 3, 4, 5});
    std::vector<real> v(120);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = real(i);
    Tensor a = Tensor::from(v, shape);
    std::vector<std::size_t> perm = {0, 1, 2, 3};
    do {
        Tensor p = permute(a, perm);
        bool all = true;
        for (std::size_t i = 0; i < 2; ++i)
            for (std::size_t j = 0; j < 3; ++j)
                for (std::size_t k = 0; k < 4; ++k)
                    for (std::size_t l = 0; l < 5; ++l) {
                        const std::size_t in[4] = {i, j, k, l};
                        all = all && p.at({in[perm[0]], in[perm[1]], in[perm[2]], in[perm[3]]}) == a.at({i, j, k, l});
                    }
        INFO("perm " << perm[0] << perm[1] << perm[2] << perm[3]);
        CHECK(all);
    } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST_CASE("shape ops move values where expected", "[values]") {
    Tensor a = Tensor::from({0, 1, 2, 3, 4, 5}, make_shape({2, 3}));
    CHECK(transpose(a).at({2, 1}) == 5);
    CHECK(slice(a, 1, 1, 3).at({1, 0}) == 4);
    Tensor c = concat({a, a}, 0);
    CHECK(c.shape() == make_shape({4, 3}));
    CHECK(c.at({3, 2}) == 5);
    Tensor s = stack({a, a * real(10)}, 1);
    CHECK(s.shape() == make_shape({2, 2, 3}));
    CHECK(s.at({1, 1, 0}) == 30);
    auto parts = chunk(a, 3, 1);
    CHECK(parts[2].at({1, 0}) == 5);
    CHECK(max(a, 1).at({0}) == 2);
    CHECK(sum(a, 0, true).shape() == make_shape({1, 3}));
    CHECK(mean(a).item() == Approx(2.5));
    IndexArray ids = {2, 0};
    Tensor table = Tensor::from({0, 1, 10, 11, 20, 21}, make_shape({3, 2}));
    CHECK(embedding(table, ids).at({0, 1}) == 21);
}

TEST_CASE("matmul agrees with a naive product in every layout", "[values]") {
    Tensor a = rnd({2, 3, 4}, 1, -1, 1, false), b = rnd({2, 4, 5}, 2, -1, 1, false), w = rnd({4, 5}, 3, -1, 1, false);
    Tensor y = matmul(a, b), yw = matmul(a, w);
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 5; ++j) {
                double s = 0, sw = 0;
                for (std::size_t k = 0; k < 4; ++k) {
                    s += double(a.at({n, i, k})) * b.at({n, k, j});
                    sw += double(a.at({n, i, k})) * w.at({k, j});
                }
                CHECK(y.at({n, i, j}) == Approx(s).epsilon(1e-5));
                CHECK(yw.at({n, i, j}) == Approx(sw).epsilon(1e-5));
            }
}

TEST_CASE("embedding: the padding row receives no gradient", "[values]") {
    Tensor table = rnd({4, 2}, 1);
    IndexArray ids = {0, 2, 0, 3};
    sum(embedding(table, ids, 0)).backward();
    CHECK(table.grad()(0, 0) == 0);
    CHECK(table.grad()(0, 1) == 0);
    CHECK(table.grad()(2, 0) == 1);
    CHECK(table.grad()(1, 0) == 0);
}

TEST_CASE("attention_weights and attention_context equal matmul softmax matmul, masks included", "[values]") {
    const std::ptrdiff_t B = 3, S = 5, K = 19;
    Tensor mask = Tensor::from({1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1}, make_shape({3, 5}));
    for (bool masked : {false, true}) {
        Tensor q = rnd({3, 19}, 7), keys = rnd({3, 5, 19}, 8);
        Tensor alpha = attention_weights(q, keys, masked ? mask : Tensor());
        Tensor c = attention_context(alpha, keys);
        Tensor q2 = Tensor::from(std::vector<real>(q.value().begin(), q.value().end()), q.shape(), true);
        Tensor k2 = Tensor::from(std::vector<real>(keys.value().begin(), keys.value().end()), keys.shape(), true);
        Tensor e = reshape(matmul(k2, reshape(q2, {B, K, 1})), {B, S});
        Tensor alpha2 = masked ? masked_softmax(e, mask, 1) : softmax(e, 1);
        Tensor c2 = reshape(matmul(reshape(alpha2, {B, 1, S}), k2), {B, K});
        CHECK(close(alpha.value(), alpha2.value(), 1e-6));
        CHECK(close(c.value(), c2.value(), 1e-5));
        if (masked) {  // padding gets weight 0; the fully masked row is all 0
            CHECK(alpha.value()(0, 3) == 0);
            for (std::size_t s = 0; s < 5; ++s) CHECK(alpha.value()(1, s) == 0);
        }
        Tensor w = rnd({3, 19}, 9, -1, 1, false);
        (sum(c * w) + sum(alpha * alpha)).backward();
        (sum(c2 * w) + sum(alpha2 * alpha2)).backward();
        CHECK(close(q.grad(), q2.grad(), 1e-5));
        CHECK(close(keys.grad(), k2.grad(), 1e-5));
    }
}

TEST_CASE("softplus, log_sigmoid and logcumsumexp stay finite and exact at the extremes", "[values]") {
    const real inf = std::numeric_limits<real>::infinity();
    Tensor x = Tensor::from({-1000, -30, 0, 30, 1000}, make_shape({5}), true);
    Tensor sp = softplus(x), ls = log_sigmoid(x);
    CHECK(sp.at({0}) == 0);
    CHECK(sp.at({2}) == Approx(std::log(2.0)));
    CHECK(sp.at({4}) == 1000);
    CHECK(ls.at({0}) == -1000);
    CHECK(ls.at({4}) == 0);
    (sum(sp) + sum(ls)).backward();
    for (std::size_t k = 0; k < 5; ++k) CHECK(x.grad()(k) == Approx(1.0));  // sigmoid(x) + sigmoid(-x)

    // a running log-sum-exp over values of magnitude 1e4, and -inf entries (log 0)
    Tensor z = Tensor::from({-inf, 1e4, -inf, 1e4, -5}, make_shape({5}), true);
    Tensor y = logcumsumexp(z, 0);
    CHECK(y.at({0}) == -inf);
    CHECK(y.at({1}) == real(1e4));
    CHECK(y.at({2}) == real(1e4));
    CHECK(y.at({3}) == Approx(1e4 + std::log(2.0)));
    sum(slice(y, 0, 1, 5)).backward();
    CHECK(z.grad()(0) == 0);
    CHECK(z.grad()(2) == 0);
    // e^(z1 - y_j) for j = 1..4 (float: 1e4 carries an ulp of 1e-3 into the exponents)
    CHECK(z.grad()(1) == Approx(1 + 1 + 0.5 + 0.5).epsilon(kDouble ? 1e-9 : 1e-3));
    CHECK(z.grad()(3) == Approx(0.5 + 0.5).epsilon(kDouble ? 1e-9 : 1e-3));
    for (std::size_t k = 0; k < 5; ++k) CHECK(std::isfinite(z.grad()(k)));
    // cumsum over an axis of length 0 is empty, as NumPy's
    CHECK(cumsum(Tensor::zeros(make_shape({0, 3})), 0).numel() == 0);
}

TEST_CASE("layer_norm: a constant row gives the bias, a large mean does not cancel the variance", "[values]") {
    Tensor c = Tensor::full(make_shape({2, 4}), 7, true), w = Tensor::from({1, 2, 3, 4}, make_shape({4}), true),
           b = Tensor::from({0.5, -1, 0, 2}, make_shape({4}), true);
    Tensor y = layer_norm(c, w, b);
    for (std::size_t k = 0; k < 4; ++k) CHECK(y.at({1, k}) == b.at({k}));
    sum(y).backward();
    for (real g : c.grad()) CHECK(std::isfinite(g));
    // values 1e4 + {0, 1, 2, 3}: the variance from centred values is exact
    Tensor big = Tensor::from({10000, 10001, 10002, 10003}, make_shape({1, 4}));
    Tensor n = layer_norm(big, Tensor(), Tensor(), real(1e-12));
    CHECK(n.at({0, 0}) == Approx(-1.5 / std::sqrt(1.25)).epsilon(1e-4));
    require_throws_with<ShapeError>([&] { layer_norm(big, Tensor::ones(make_shape({3})), Tensor()); },
                                    {"layer_norm", "weight", "[3]", "[4]"});
    // masked_fill: the filled positions take the value and get no gradient
    Tensor x = Tensor::from({1, 2, 3}, make_shape({3}), true);
    Tensor m = Tensor::from({0, 1, 0}, make_shape({3}));
    Tensor f = masked_fill(x, m, -1e9);
    CHECK(f.at({1}) == real(-1e9));
    sum(f).backward();
    CHECK(x.grad()(1) == 0);
    CHECK(x.grad()(0) == 1);
    CHECK(logsumexp(Tensor::from({1000, 1000}, make_shape({2})), 0).item() == Approx(1000 + std::log(2.0)));
}

TEST_CASE("dropout: the keep rate, the scale, the gradient, and one mask whatever the threads", "[values]") {
    const Tensor x = Tensor(Array(xt::ones<real>({300, 400})), true);
    auto masked = [&](std::size_t threads) {
        const std::size_t saved = tapegrad::num_threads();
        tapegrad::set_num_threads(threads);
        Generator g(99);
        Tensor y = dropout(x, real(0.3), true, g);
        tapegrad::set_num_threads(saved);
        return y;
    };
    const Tensor y = masked(2);
    std::size_t dropped = 0, misscaled = 0;
    for (real v : y.value()) {
        if (v == 0) ++dropped;
        else if (std::abs(double(v) - 1 / 0.7) > 1e-6) ++misscaled;  // the kept ones are scaled by 1 / (1 - p)
    }
    CHECK(misscaled == 0);
    const double rate = double(dropped) / double(y.numel());
    CHECK(rate > 0.29);  // 120,000 draws: the standard error is 0.0013
    CHECK(rate < 0.31);
    CHECK(y.value() == masked(1).value());  // blocks of the stream, not threads, decide the mask
    Generator other(100);
    CHECK(dropout(x, real(0.3), true, other).value() != y.value());
    sum(y * real(2)).backward();
    CHECK(x.grad() == y.value() * real(2));  // dx = dy * m / (1 - p): the same mask drawn again
}
