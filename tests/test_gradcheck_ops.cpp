// SPDX-License-Identifier: MIT
// Every op's gradient against central differences, including broadcast
// shapes. In the f64 build these are tight (eps 1e-6, rtol 1e-5).
#include "helpers.hpp"

using namespace th;
using V = std::vector<Tensor>;

TEST_CASE("gradcheck: add, sub, mul, div with broadcasting", "[gradcheck]") {
    // same shapes, a trailing-axis broadcast, a leading-axis broadcast, a scalar
    const std::vector<std::pair<Shape, Shape>> cases = {
        {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{2, 1, 4}, {3, 1}}, {{3, 4}, {}}};
    std::uint64_t seed = 1;
    for (const auto& [sa, sb] : cases) {
        Tensor a = rnd(sa, seed++), b = rnd(sb, seed++);
        Tensor pos = rnd(sb, seed++, 0.5, 1.5);  // denominators away from 0
        CHECK_GRADS([](const V& in) { return add(in[0], in[1]); }, a, b);
        CHECK_GRADS([](const V& in) { return sub(in[0], in[1]); }, a, b);
        CHECK_GRADS([](const V& in) { return mul(in[0], in[1]); }, a, b);
        CHECK_GRADS([](const V& in) { return div(in[0], in[1]); }, a, pos);
        // and with the broadcast operand first
        CHECK_GRADS([](const V& in) { return sub(in[1], in[0]); }, a, b);
    }
}

TEST_CASE("gradcheck: neg and scalar forms add_scalar mul_scalar rsub_scalar rdiv_scalar", "[gradcheck]") {
    Tensor a = rnd({2, 3}, 11), p = rnd({2, 3}, 12, 0.5, 2.0);
    CHECK_GRADS([](const V& in) { return neg(in[0]); }, a);
    CHECK_GRADS([](const V& in) { return in[0] + real(0.7); }, a);
    CHECK_GRADS([](const V& in) { return in[0] * real(-1.3); }, a);
    CHECK_GRADS([](const V& in) { return real(2) - in[0]; }, a);
    CHECK_GRADS([](const V& in) { return real(1.5) / in[0]; }, p);
    CHECK_GRADS([](const V& in) { return in[0] / real(4); }, a);
}

TEST_CASE("gradcheck: pow and square", "[gradcheck]") {
    Tensor p = rnd({3, 2}, 13, 0.5, 2.0), a = rnd({3, 2}, 14);
    CHECK_GRADS([](const V& in) { return pow(in[0], real(2.5)); }, p);
    CHECK_GRADS([](const V& in) { return pow(in[0], real(-1)); }, p);
    CHECK_GRADS([](const V& in) { return square(in[0]); }, a);
}

TEST_CASE("gradcheck: exp log sqrt abs tanh sigmoid relu clamp", "[gradcheck]") {
    Tensor a = rnd({4, 3}, 21, -2, 2), p = rnd({4, 3}, 22, 0.3, 3.0), k = rnd_away_from_zero({4, 3}, 23);
    CHECK_GRADS([](const V& in) { return exp(in[0]); }, a);
    CHECK_GRADS([](const V& in) { return log(in[0]); }, p);
    CHECK_GRADS([](const V& in) { return sqrt(in[0]); }, p);
    CHECK_GRADS([](const V& in) { return abs(in[0]); }, k);
    CHECK_GRADS([](const V& in) { return tanh(in[0]); }, a);
    CHECK_GRADS([](const V& in) { return sigmoid(in[0]); }, a);
    CHECK_GRADS([](const V& in) { return relu(in[0]); }, k);
    // clamp at +-0.5: keep values clear of the bounds
    Tensor c = rnd({4, 3}, 24, -1, 1);
    for (auto& v : c.mutable_value())
        if (std::abs(std::abs(v) - real(0.5)) < real(0.1)) v = v * real(0.5);
    CHECK_GRADS([](const V& in) { return clamp(in[0], real(-0.5), real(0.5)); }, c);
}

TEST_CASE("gradcheck: softplus log_sigmoid maximum, at small and large inputs", "[gradcheck]") {
    Tensor a = rnd({4, 3}, 25, -3, 3), big = rnd({4, 3}, 26, -40, 40);
    CHECK_GRADS([](const V& in) { return softplus(in[0]); }, a);
    CHECK_GRADS([](const V& in) { return log_sigmoid(in[0]); }, a);
    CHECK_GRADS([](const V& in) { return softplus(in[0]); }, big);
    CHECK_GRADS([](const V& in) { return log_sigmoid(in[0]); }, big);
    // maximum: operands kept apart, so no difference step crosses a tie
    Tensor b = a.detach();
    for (std::size_t k = 0; k < b.numel(); ++k) b.mutable_value().data()[k] += (k % 2 ? real(0.5) : real(-0.5));
    CHECK_GRADS([](const V& in) { return maximum(in[0], in[1]); }, a, b);
}

TEST_CASE("gradcheck: gelu (erf and tanh forms), silu, layer_norm, logsumexp", "[gradcheck]") {
    Tensor a = rnd({4, 5}, 41, -3, 3);
    CHECK_GRADS([](const V& in) { return gelu(in[0]); }, a);
    CHECK_GRADS([](const V& in) { return gelu(in[0], GeluForm::Tanh); }, a);
    CHECK_GRADS([](const V& in) { return silu(in[0]); }, a);
    // layer_norm over the last axis, with and without weight and bias, 2-D and 3-D, a large mean
    Tensor x = rnd({2, 3, 6}, 42, -2, 2), w = rnd({6}, 43, 0.5, 1.5), b = rnd({6}, 44);
    CHECK_GRADS([](const V& in) { return layer_norm(in[0], in[1], in[2]); }, x, w, b);
    CHECK_GRADS([](const V& in) { return layer_norm(in[0], Tensor(), Tensor()); }, x);
    Tensor shifted = rnd({3, 6}, 45, 99, 101);
    CHECK_GRADS([](const V& in) { return layer_norm(in[0], in[1], in[2]); }, shifted, w, b);
    for (std::ptrdiff_t axis : {0, 1, -1}) {
        CHECK_GRADS([axis](const V& in) { return logsumexp(in[0], axis); }, a);
        CHECK_GRADS([axis](const V& in) { return logsumexp(in[0], axis, true); }, a);
    }
}

TEST_CASE("gradcheck: cumsum and logcumsumexp along every axis", "[gradcheck]") {
    Tensor x = rnd({3, 4, 2}, 27, -2, 2), big = rnd({5, 3}, 28, -60, 60);
    for (std::ptrdiff_t axis : {0, 1, 2, -1}) {
        CHECK_GRADS([axis](const V& in) { return cumsum(in[0], axis); }, x);
        CHECK_GRADS([axis](const V& in) { return logcumsumexp(in[0], axis); }, x);
    }
    CHECK_GRADS([](const V& in) { return logcumsumexp(in[0], 0); }, big);
}

TEST_CASE("gradcheck: bmm with every pair of transpose flags and a scale", "[gradcheck]") {
    // A is [2, 3, 4] or its transpose [2, 4, 3]; B [2, 4, 5] or [2, 5, 4]
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            INFO("transpose_a " << ta << " transpose_b " << tb);
            const Tensor a = rnd(ta ? Shape{2, 4, 3} : Shape{2, 3, 4}, 41), b = rnd(tb ? Shape{2, 5, 4} : Shape{2, 4, 5}, 42);
            const bool flags[2] = {ta, tb};  // (one capture: the macro splits at commas)
            CHECK_GRADS([&flags](const V& in) { return bmm(in[0], in[1], flags[0], flags[1], real(0.7)); }, a, b);
            // the same values as matmul of explicit transposes
            const Tensor ref = matmul(ta ? transpose(a, 1, 2) : a, tb ? transpose(b, 1, 2) : b) * real(0.7);
            CHECK(close(bmm(a, b, ta, tb, real(0.7)).value(), ref.value(), 1e-5));
        }
    CHECK_GRADS([](const V& in) { return bmm(in[0], in[0], false, true); }, rnd({2, 3, 4}, 43));  // A A^T: both paths
    require_throws_with<ShapeError>([] { bmm(rnd({2, 3, 4}, 1), rnd({2, 3, 4}, 2)); }, {"bmm", "[2, 3, 4]", "4 vs 3"});
}

TEST_CASE("gradcheck: matmul 2-D, batched 3-D, and 3-D with a shared weight", "[gradcheck]") {
    CHECK_GRADS([](const V& in) { return matmul(in[0], in[1]); }, rnd({3, 4}, 31), rnd({4, 5}, 32));
    CHECK_GRADS([](const V& in) { return matmul(in[0], in[1]); }, rnd({2, 3, 4}, 33), rnd({2, 4, 2}, 34));
    CHECK_GRADS([](const V& in) { return matmul(in[0], in[1]); }, rnd({2, 3, 4}, 35), rnd({4, 2}, 36));
    // batched matrix-vector products (attention's scores and contexts):
    // N = 1, M = 1, both, and a second use that adds to the gradients
    CHECK_GRADS([](const V& in) { return matmul(in[0], in[1]); }, rnd({3, 5, 11}, 131), rnd({3, 11, 1}, 132));
    CHECK_GRADS([](const V& in) { return matmul(in[0], in[1]); }, rnd({3, 1, 5}, 133), rnd({3, 5, 11}, 134));
    CHECK_GRADS([](const V& in) { return matmul(in[0], in[1]); }, rnd({2, 1, 9}, 135), rnd({2, 9, 1}, 136));
    CHECK_GRADS([](const V& in) { return matmul(in[0], in[1]) * matmul(in[0], in[1]); }, rnd({2, 4, 3}, 137),
                rnd({2, 3, 1}, 138));
    // the same matrix on both sides: both contributions must accumulate
    CHECK_GRADS([](const V& in) { return matmul(in[0], in[0]); }, rnd({3, 3}, 37));
}

TEST_CASE("gradcheck: linear with and without bias, 2-D and 3-D input", "[gradcheck]") {
    Tensor W = rnd({5, 4}, 38), b = rnd({5}, 39);
    CHECK_GRADS([](const V& in) { return linear(in[0], in[1], in[2]); }, rnd({3, 4}, 40), W, b);
    CHECK_GRADS([](const V& in) { return linear(in[0], in[1]); }, rnd({2, 3, 4}, 41), W);
    CHECK_GRADS([](const V& in) { return linear(in[0], in[1], in[2]); }, rnd({2, 3, 4}, 42), W, b);
}

TEST_CASE("gradcheck: an addend plus linear, addend used again downstream", "[gradcheck]") {
    Tensor W = rnd({5, 4}, 43), b = rnd({5}, 44);
    CHECK_GRADS([](const V& in) { return in[0] + linear(in[1], in[2], in[3]); }, rnd({3, 5}, 45), rnd({3, 4}, 46),
                W, b);
    CHECK_GRADS([](const V& in) { return in[0] + linear(in[1], in[2]); }, rnd({2, 3, 5}, 47), rnd({2, 3, 4}, 48), W);
    // the addend also feeds another op: its gradient must be accumulated, not replaced
    CHECK_GRADS([](const V& in) { return (in[0] + linear(in[1], in[2], in[3])) * in[0]; }, rnd({3, 5}, 49),
                rnd({3, 4}, 50), W, b);
}

TEST_CASE("gradcheck: step t of a whole sequence's addend plus linear", "[gradcheck]") {
    Tensor W = rnd({5, 4}, 141), b = rnd({5}, 142), a = rnd({3, 2, 5}, 143), x = rnd({2, 4}, 144);
    // two steps of one addend, and the addend used again: the shares add up
    CHECK_GRADS([](const V& in) {
        return select(in[0], 2) + linear(in[1], in[2], in[3]) + (select(in[0], 0) + linear(in[1], in[2])) * select(in[0], 2);
    }, a, x, W, b);
    // created first, so its backward runs last: slice 1 of a already holds
    // select's share then, which must be added to
    CHECK_GRADS([](const V& in) {
        Tensor y = select(in[0], 1) + linear(in[1], in[2], in[3]);
        return y * select(in[0], 1);
    }, a, x, W, b);
}

TEST_CASE("gradcheck: permute transpose reshape", "[gradcheck]") {
    Tensor a = rnd({2, 3, 4}, 41);
    CHECK_GRADS([](const V& in) { return permute(in[0], {2, 0, 1}); }, a);
    CHECK_GRADS([](const V& in) { return transpose(in[0], 0, 2); }, a);
    // last axis kept (whole rows copied), and a second use adding into dX
    CHECK_GRADS([](const V& in) { return transpose(in[0], 0, 1) * transpose(in[0], 0, 1); }, a);
    CHECK_GRADS([](const V& in) { return reshape(in[0], {4, -1}); }, a);
}

TEST_CASE("gradcheck: slice concat stack split chunk select", "[gradcheck]") {
    // eagerly, and as views read in place by fused elementwise ops
    const bool fuse = GENERATE(false, true);
    ElementwiseFusion mode(fuse);
    Tensor a = rnd({3, 4, 2}, 51), b = rnd({3, 2, 2}, 52), c = rnd({3, 4, 2}, 53);
    CHECK_GRADS([](const V& in) { return slice(in[0], 1, 1, 3); }, a);
    CHECK_GRADS([](const V& in) { return slice(in[0], -1, 1, 2); }, a);
    CHECK_GRADS([](const V& in) { return concat({in[0], in[1], in[0]}, 1); }, a, b);
    CHECK_GRADS([](const V& in) { return stack({in[0], in[1]}, 0); }, a, c);
    CHECK_GRADS([](const V& in) { return stack({in[0], in[1]}, 2); }, a, c);
    CHECK_GRADS([](const V& in) { return stack({in[0], in[1]}, -1); }, a, c);
    CHECK_GRADS(
        [](const V& in) {
            auto p = split(in[0], {1, 3}, 1);
            return concat({p[1] * real(2), p[0]}, 1);
        },
        a);
    CHECK_GRADS(
        [](const V& in) {
            auto g = chunk(in[0], 4, 1);  // like the LSTM gates
            return sigmoid(g[0]) * tanh(g[2]) + g[1] * g[3];
        },
        a);
    CHECK_GRADS([](const V& in) { return select(in[0], 2); }, a);
    CHECK_GRADS([](const V& in) { return select(in[0], 0) * select(in[0], 1); }, a);
}

// Chains of elementwise ops become one `elementwise` node (elementwise.hpp):
// every instruction, views as operands, a leaf read twice, blocks of one
// tensor, and rows enough to split among threads.
TEST_CASE("gradcheck: elementwise programs over every instruction with views and repeated operands", "[gradcheck]") {
    ElementwiseFusion fusion(true);  // the programs under test, whatever TAPEGRAD_SPEED says
    auto fused_nodes = [](const Tensor& y) {
        return count_nodes(y, [](const TensorImpl& n) { return n.op && std::string(n.op) == "elementwise"; });
    };
    Tensor a = rnd({3, 4}, 81), b = rnd({3, 4}, 82), p = rnd({3, 4}, 83, 0.5, 2.0);
    Tensor k = rnd_away_from_zero({3, 4}, 84);
    auto arith = [](const V& in) {  // + - * / unary - and the scalar forms
        return (in[0] * in[1] - in[0] / in[2]) * real(1.5) + (real(2) - -in[1]) + (in[0] + real(0.25)) / in[2];
    };
    auto funcs = [](const V& in) {  // sigmoid tanh exp relu, and x*x (one operand twice)
        return sigmoid(in[0]) * tanh(in[1]) + exp(in[0] * real(0.5)) - relu(in[2]) * relu(in[2]);
    };
    CHECK(fused_nodes(arith({a, b, p})) == 1);
    CHECK(fused_nodes(funcs({a, b, k})) == 1);
    CHECK_GRADS(arith, a, b, p);
    CHECK_GRADS(funcs, a, b, k);

    // LSTM gates: four blocks of one tensor; c kept in a variable, so
    // computed once and read by the second program
    auto lstm = [](const V& in) {
        auto g = chunk(in[0] * real(1), 4, 1);
        Tensor c = sigmoid(g[1]) * in[1] + sigmoid(g[0]) * tanh(g[2]);
        return sigmoid(g[3]) * tanh(c) + c + g[0] * real(0.5);  // g[0] read twice
    };
    Tensor gates = rnd({3, 8}, 85), c0 = rnd({3, 2}, 86);
    CHECK(fused_nodes(lstm({gates, c0})) == 2);  // c and h, each reading its blocks of in[0] * 1
    CHECK_GRADS(lstm, gates, c0);
    // Enough rows for two threads, and steps of a sequence read in place:
    // too many values for central differences under the sanitizers, so
    // against the eager ops' gradients (checked above and in every other
    // test here), which split no program between threads.
    Tensor big = rnd({70, 4 * 40}, 87), cbig = rnd({70, 40}, 88), seq = rnd({3, 70, 40}, 89);
    auto steps = [](const V& in) { return tanh(select(in[0], 1) + in[1]) * select(in[0], 2) - select(in[0], 1); };
    auto grads = [](auto f, const V& in, bool fuse) {
        ElementwiseFusion mode(fuse);
        for (const Tensor& t : in) Tensor(t).zero_grad();
        Tensor y = f(in);
        y.backward(Array(rnd(y.shape(), 90, -1, 1, false).value()));
        V g;
        for (const Tensor& t : in) g.push_back(Tensor(t.grad()));
        return g;
    };
    for (const auto& [f, in] : std::vector<std::pair<std::function<Tensor(const V&)>, V>>{{lstm, {big, cbig}},
                                                                                          {steps, {seq, cbig}}}) {
        const V fused = grads(f, in, true), eager = grads(f, in, false);
        CHECK(fused_nodes(f(in)) >= 1);
        for (std::size_t i = 0; i < in.size(); ++i) CHECK(close(fused[i].value(), eager[i].value(), kDouble ? 1e-12 : 1e-5));
    }
    // the last node reads only the first block: the rest of each row zeroed
    // by it, one block never written at all
    CHECK_GRADS(
        [](const V& in) {
            auto g = chunk(in[0] * real(1), 4, 1);
            Tensor u = tanh(g[2]) + g[3];
            return sigmoid(g[0]) * u;
        },
        gates);
    // overlapping slices of one tensor: both add into the same elements
    CHECK_GRADS([](const V& in) { return slice(in[0], 1, 0, 3) * slice(in[0], 1, 1, 4); }, a);
}

TEST_CASE("gradcheck: index_select (embedding) with repeated ids, where", "[gradcheck]") {
    Tensor table = rnd({5, 3}, 61);
    IndexArray ids = {{4, 1}, {1, 0}, {4, 4}};  // [3, 2] ids -> [3, 2, 3]
    CHECK_GRADS([ids](const V& in) { return index_select(in[0], ids); }, table);
    CHECK_GRADS([ids](const V& in) { return embedding(in[0], ids) * embedding(in[0], ids); }, table);
    // a padding_idx that is not looked up changes nothing (padding itself
    // deliberately breaks the gradient: see test_values.cpp)
    CHECK_GRADS([ids](const V& in) { return index_select(in[0], ids, 3); }, table);

    Tensor mask = Tensor::from({1, 0, 0, 1, 1, 0}, make_shape({2, 3}));
    CHECK_GRADS([mask](const V& in) { return where(mask, in[0], in[1]); }, rnd({2, 3}, 62), rnd({2, 3}, 63));
    CHECK_GRADS([mask](const V& in) { return where(mask, in[0], in[1]); }, rnd({3}, 64), rnd({2, 1}, 65));
}

TEST_CASE("gradcheck: sum mean sum_axis mean_axis max", "[gradcheck]") {
    Tensor a = rnd({3, 4, 2}, 71);
    CHECK_GRADS([](const V& in) { return sum(in[0]); }, a);
    CHECK_GRADS([](const V& in) { return mean(in[0]); }, a);
    for (std::ptrdiff_t axis : {0, 1, 2, -1})
        for (bool keep : {false, true}) {
            CHECK_GRADS([=](const V& in) { return sum(in[0], axis, keep); }, a);
            CHECK_GRADS([=](const V& in) { return mean(in[0], axis, keep); }, a);
            CHECK_GRADS([=](const V& in) { return max(in[0], axis, keep); }, a);
        }
}

TEST_CASE("gradcheck: softmax and log_softmax along every axis", "[gradcheck]") {
    Tensor a = rnd({3, 4, 2}, 81, -3, 3);
    for (std::ptrdiff_t axis : {0, 1, 2}) {
        CHECK_GRADS([=](const V& in) { return softmax(in[0], axis); }, a);
        CHECK_GRADS([=](const V& in) { return log_softmax(in[0], axis); }, a);
    }
}

TEST_CASE("gradcheck: masked_softmax along every axis, a fully masked lane included", "[gradcheck]") {
    Tensor a = rnd({3, 4, 2}, 82, -3, 3);
    Tensor mask = Tensor::zeros(make_shape({3, 4, 2}));
    for (std::size_t k = 0; k < mask.numel(); ++k) mask.mutable_value().data()[k] = real(k % 3 != 1);
    for (std::size_t j = 0; j < 4; ++j) mask.mutable_value()(0, j, 0) = 0;  // lane (0, :, 0) along axis 1
    for (std::ptrdiff_t axis : {0, 1, 2})
        CHECK_GRADS([=](const V& in) { return masked_softmax(in[0], mask, axis); }, a);
}

TEST_CASE("gradcheck: attention_weights and attention_context with and without a mask", "[gradcheck]") {
    // K = 5 runs only the tail of the dot products, K = 37 the 16-lane part too
    for (std::size_t K : {5, 37}) {
        Tensor q = rnd({3, K}, 181), keys = rnd({3, 4, K}, 182, -0.7, 0.7), alpha = rnd({3, 4}, 183, 0.1, 1);
        CHECK_GRADS([](const V& in) { return attention_weights(in[0], in[1]); }, q, keys);
        CHECK_GRADS([](const V& in) { return attention_context(in[0], in[1]); }, alpha, keys);
        // row 1 fully masked: uniform weights, and no gradient through its scores
        Tensor mask = Tensor::from({1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0}, make_shape({3, 4}));
        CHECK_GRADS([mask](const V& in) { return attention_weights(in[0], in[1], mask); }, q, keys);
        // both ops on the same keys: their contributions to dkeys accumulate
        CHECK_GRADS([mask](const V& in) { return attention_context(attention_weights(in[0], in[1], mask), in[1]); },
                    q, keys);
    }
}

TEST_CASE("gradcheck: cross_entropy with padding, every reduction, and mse", "[gradcheck]") {
    Tensor logits = rnd({4, 5}, 91, -2, 2);
    IndexArray t = {3, -100, 0, 4};
    CHECK_GRADS([t](const V& in) { return cross_entropy(in[0], t); }, logits);
    CHECK_GRADS([t](const V& in) { return cross_entropy(in[0], t, -100, Reduction::Sum); }, logits);
    CHECK_GRADS([t](const V& in) { return cross_entropy(in[0], t, -100, Reduction::None); }, logits);
    // [T, B, C] logits with [T, B] targets, padding id 0
    IndexArray tb = {{1, 0}, {2, 3}, {0, 0}};
    CHECK_GRADS([tb](const V& in) { return cross_entropy(in[0], tb, 0); }, rnd({3, 2, 4}, 92));
    CHECK_GRADS([](const V& in) { return mse(in[0], in[1]); }, rnd({3, 2}, 93), rnd({3, 2}, 94));
}

TEST_CASE("gradcheck: dropout with a fixed mask", "[gradcheck]") {
    // each call of f draws a mask; a generator re-seeded per call keeps it fixed
    Tensor a = rnd({4, 6}, 101);
    CHECK_GRADS(
        [](const V& in) {
            Generator g(7);
            return dropout(in[0], real(0.4), true, g);
        },
        a);
}

TEST_CASE("gradcheck: a composite tanh RNN unrolled over 5 steps", "[gradcheck]") {
    CHECK_GRADS(
        [](const V& in) {
            Tensor h = Tensor::zeros(make_shape({2, 3}));
            Tensor loss = Tensor::scalar(0);
            for (std::size_t t = 0; t < 5; ++t) {
                Tensor x = select(in[3], t);
                h = tanh(matmul(x, in[0]) + matmul(h, in[1]) + in[2]);
                loss = loss + sum(h * h);
            }
            return loss;
        },
        rnd({4, 3}, 111), rnd({3, 3}, 112), rnd({3}, 113), rnd({5, 2, 4}, 114));
}

namespace {
// The LSTM and GRU cells' gate equations, as nn/ writes them, over gates
// [B, 4H] (i, f, g, o) and [B, 3H] (r, z, n).
Tensor lstm_c(const Tensor& gates, const Tensor& c) {
    auto a = chunk(gates, 4, 1);
    Tensor i = sigmoid(a[0]), f = sigmoid(a[1]), g = tanh(a[2]);
    return f * c + i * g;
}
Tensor lstm_h(const Tensor& gates, const Tensor& c_next) { return sigmoid(chunk(gates, 4, 1)[3]) * tanh(c_next); }
Tensor gru_h(const Tensor& xg, const Tensor& hg, const Tensor& h) {
    auto x = chunk(xg, 3, 1), u = chunk(hg, 3, 1);
    Tensor r = sigmoid(x[0] + u[0]), z = sigmoid(x[1] + u[1]);
    Tensor n = tanh(x[2] + r * u[2]);
    return (1 - z) * n + z * h;
}
}  // namespace

TEST_CASE("gradcheck: the LSTM and GRU gate equations", "[gradcheck]") {
    Tensor gates = rnd({3, 8}, 121, -2, 2), c = rnd({3, 2}, 122);
    CHECK_GRADS([](const V& in) { return lstm_c(in[0], in[1]); }, gates, c);
    CHECK_GRADS([](const V& in) { return lstm_h(in[0], in[1]); }, gates, c);
    // both together, as a cell uses them: c' feeds h
    CHECK_GRADS(
        [](const V& in) {
            Tensor cn = lstm_c(in[0], in[1]);
            return lstm_h(in[0], cn) * cn;
        },
        gates, c);
    Tensor xg = rnd({3, 6}, 123, -2, 2), hg = rnd({3, 6}, 124, -2, 2), h = rnd({3, 2}, 125);
    CHECK_GRADS([](const V& in) { return gru_h(in[0], in[1], in[2]); }, xg, hg, h);
    // inputs also used by ops recorded later, whose backward runs first: the
    // gate programs then add to gradients that exist (above, they write fresh ones)
    CHECK_GRADS(
        [](const V& in) {
            Tensor cn = lstm_c(in[0], in[1]);
            Tensor h = lstm_h(in[0], cn);
            return h * slice(in[0], 1, 6, 8) + cn * slice(in[0], 1, 0, 2) + cn * in[1] + h * cn;  // blocks o and i
        },
        gates, c);
    CHECK_GRADS(
        [](const V& in) {
            Tensor y = gru_h(in[0], in[1], in[2]);
            return y * slice(in[0], 1, 4, 6) + y * slice(in[1], 1, 0, 2) + y * in[2];
        },
        xg, hg, h);
}

TEST_CASE("gradcheck: GRU gates reading step t of a whole sequence's input gates in place", "[gradcheck]") {
    Tensor xs = rnd({3, 2, 6}, 151, -2, 2), hg = rnd({2, 6}, 152, -2, 2), h = rnd({2, 2}, 153);
    // two steps of one tensor, and the tensor used again: the shares add up
    CHECK_GRADS([](const V& in) {
        return gru_h(select(in[0], 2), in[1], in[2]) +
               gru_h(select(in[0], 0), in[1], in[2]) * slice(select(in[0], 2), 1, 0, 2);
    }, xs, hg, h);
}

TEST_CASE("the gate equations give the same values with elementwise fusion on and off", "[values]") {
    Tensor gates = rnd({4, 12}, 126, -3, 3), c = rnd({4, 3}, 127, -1, 1);
    Tensor xg = rnd({4, 9}, 128, -2, 2), hg = rnd({4, 9}, 129, -2, 2), h = rnd({4, 3}, 130, -1, 1);
    auto run = [&] {
        Tensor cn = lstm_c(gates, c);
        return std::vector<Array>{cn.value(), lstm_h(gates, cn).value(), gru_h(xg, hg, h).value()};
    };
    const std::vector<Array> fused = run();
    ElementwiseFusion eager(false);
    const std::vector<Array> plain = run();
    for (std::size_t k = 0; k < plain.size(); ++k) CHECK(close(fused[k], plain[k], kValueTol));
}

TEST_CASE("argmax, topk and multinomial return ids: nothing is recorded, nothing to differentiate", "[gradcheck]") {
    Tensor x = rnd({3, 5}, 90);  // requires grad
    CHECK(argmax(x).shape() == make_shape({3}));
    const TopK top = topk(x, 2);
    CHECK_FALSE(top.values.requires_grad());  // off the tape: its values are a plain tensor
    CHECK(multinomial(softmax(x).detach(), 4).shape() == make_shape({3, 4}));
}

TEST_CASE("gradcheck: checkpoint, a segment run again in backward", "[gradcheck]") {
    Tensor a = rnd({3, 4}, 91), b = rnd({4, 2}, 92);
    auto segment = [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{tanh(matmul(in[0], in[1])), sum(in[0] * in[0])};
    };
    CHECK_GRADS([=](const V& in) {
        auto out = checkpoint(segment, {in[0], in[1]}, "segment");
        return sum(out[0] * out[0]) + out[1];
    }, a, b);
}
