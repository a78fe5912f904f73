// SPDX-License-Identifier: MIT
// The tape: what is recorded, accumulation, freeing, grad mode, printing.

#include "helpers.hpp"

using namespace th;

TEST_CASE("a value used several times gets every contribution (diamond)", "[tape]") {
    Tensor a = Tensor::scalar(3, true);
    Tensor b = a * a + a;       // db/da = 2a + 1 = 7
    Tensor c = b * a + exp(a);  // dc/da = b + a * db/da + exp(a) = 12 + 21 + e^3
    c.backward();
    CHECK(a.grad().data()[0] == Approx(12 + 21 + std::exp(3.0)).epsilon(1e-6));
    Tensor d = a + a;  // the same input twice in one op
    a.zero_grad();
    d.backward();
    CHECK(a.grad().data()[0] == Approx(2));
}

TEST_CASE("leaf gradients accumulate across backward calls until zero_grad", "[tape]") {
    Tensor w = Tensor::from({1, 2}, make_shape({2}), true);
    sum(w * real(3)).backward();
    sum(w * real(3)).backward();
    CHECK(close(w.grad(), Tensor::from({6, 6}, make_shape({2})).value(), kValueTol));
    w.zero_grad();
    CHECK_FALSE(w.has_grad());
}

TEST_CASE("nothing is recorded without requires_grad or under NoGradGuard", "[tape]") {
    Tensor a = rnd({2, 2}, 1, -1, 1, false);
    Tensor w = rnd({2, 2}, 2);
    Tensor y = tanh(a * a);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
    CHECK(graph_size(y) == 0);
    {
        NoGradGuard guard;
        CHECK_FALSE(is_grad_enabled());
        Tensor z = matmul(w, w);
        CHECK_FALSE(z.requires_grad());
        CHECK(z.is_leaf());
    }
    CHECK(is_grad_enabled());
    Tensor z = matmul(w, w) + a;
    CHECK(z.requires_grad());
    CHECK(std::string(z.op_name()) == "add");
    CHECK(graph_size(z) == 2);  // add and matmul; leaves are not nodes
}

TEST_CASE("inputs that do not require grad get no gradient and cost nothing", "[tape]") {
    Tensor x = rnd({2, 3}, 3, -1, 1, false);
    Tensor w = rnd({3, 2}, 4);
    sum(matmul(x, w)).backward();
    CHECK(w.has_grad());
    CHECK_FALSE(x.has_grad());
}

TEST_CASE("detach cuts the tape and keeps the value", "[tape]") {
    Tensor w = rnd({2}, 5);
    Tensor h = w * real(2);
    Tensor d = h.detach();
    CHECK_FALSE(d.requires_grad());
    CHECK(close(d.value(), h.value(), 0));
    Tensor loss = sum(d * w);  // gradient only through the second factor
    loss.backward();
    CHECK(close(w.grad(), h.value(), kValueTol));
}

TEST_CASE("the graph is freed after backward, and a second walk is a clear error", "[tape]") {
    Tensor w = rnd({3}, 6);
    Tensor y = sum(tanh(w) * real(2));
    y.backward();
    require_throws_with<GraphError>([&] { y.backward(); },
                                    {"backward", "already freed", "retain_graph=true"});
}

TEST_CASE("retain_graph allows a second walk and gives the same gradient again", "[tape]") {
    Tensor w = rnd({3}, 7);
    Tensor y = sum(tanh(w));
    y.backward(/*retain_graph=*/true);
    Array g1 = w.grad();
    w.zero_grad();
    y.backward();
    CHECK(close(w.grad(), g1, kValueTol));
}

TEST_CASE("non-leaf gradients are dropped unless retain_grad() was called", "[tape]") {
    Tensor w = rnd({3}, 8);
    Tensor h = tanh(w);
    Tensor k = exp(w);
    k.retain_grad();
    sum(h + k).backward();
    CHECK_FALSE(h.has_grad());
    require_throws_with<GraphError>([&] { (void)h.grad(); }, {"grad", "not a leaf", "retain_grad"});
    CHECK(close(k.grad(), Array(xt::ones<real>(k.shape())), kValueTol));
}

TEST_CASE("backward with an explicit seed computes a vector-Jacobian product", "[tape]") {
    Tensor x = Tensor::from({1, 2, 3}, make_shape({3}), true);
    Tensor y = x * x;
    y.backward(Tensor::from({1, 10, 100}, make_shape({3})).value());
    CHECK(close(x.grad(), Tensor::from({2, 40, 600}, make_shape({3})).value(), kValueTol));
}

TEST_CASE("backward misuse gives clear errors", "[tape][errors]") {
    Tensor x = rnd({2, 3}, 9);
    require_throws_with<GraphError>([&] { (x * x).backward(); }, {"backward", "[2, 3]", "single-element"});
    require_throws_with<ShapeError>([&] { (x * x).backward(Array(xt::ones<real>({3}))); },
                                    {"backward", "seed", "[3]", "[2, 3]"});
    Tensor c = rnd({2}, 10, -1, 1, false);
    require_throws_with<GraphError>([&] { sum(c).backward(); }, {"backward", "does not require grad"});
    require_throws_with<GraphError>([&] { (x * x).requires_grad_(false); }, {"requires_grad_", "leaf"});
    require_throws_with<ValueError>([&] { (void)Tensor().shape(); }, {"undefined"});
}

TEST_CASE("a tensor prints its shape, op and values", "[tape]") {
    Tensor x = Tensor::from({1, 2.5, -3, 4}, make_shape({2, 2}), true);
    const std::string s = x.to_string();
    CHECK(s.find("Tensor[2, 2]") != std::string::npos);
    CHECK(s.find("requires_grad") != std::string::npos);
    CHECK(s.find("[[1, 2.5],") != std::string::npos);
    CHECK(fmt::format("{}", tanh(x)).find("op=tanh") != std::string::npos);
    // long axes are abbreviated
    const std::string big = Tensor::zeros(make_shape({100})).to_string();
    CHECK(big.find("...") != std::string::npos);
    CHECK(big.size() < 200);
}

TEST_CASE("a value no backward reads is released once no Tensor holds it", "[tape][memory]") {
    ValueReleaseOn on;  // the layer under test, whatever TAPEGRAD_SPEED says
    ElementwiseFusion eager(false);  // a node per op, each with its own value
    Tensor a = rnd({2, 3}, 1), b = rnd({2, 3}, 2);
    Tensor y = sigmoid(a + b);  // sigmoid's backward reads its output, not the sum
    const TensorImpl& sum_node = *y.impl()->inputs[0];
    CHECK(sum_node.value_released());
    CHECK(sum_node.value.shape() == a.shape());  // the shape stays for the walk
    CHECK_FALSE(y.impl()->value_released());

    Tensor s = a * b;  // held by the program: kept until it lets go
    Tensor t = tanh(s);
    const TensorImpl* s_node = s.impl();
    CHECK_FALSE(s_node->value_released());
    s = Tensor();
    CHECK(s_node->value_released());

    Tensor p = tanh(a) * b;  // mul reads its inputs, tanh its output
    CHECK_FALSE(p.impl()->inputs[0]->value_released());
    Tensor q = (a + b) * b;
    CHECK_FALSE(q.impl()->inputs[0]->value_released());
    Tensor r = exp(a) + b;  // exp reads its own output
    CHECK_FALSE(r.impl()->inputs[0]->value_released());
    Tensor u = sum(reshape(a * b, {3, 2}));  // neither reads its input
    CHECK(u.impl()->inputs[0]->value_released());
    CHECK(u.impl()->inputs[0]->inputs[0]->value_released());
    CHECK_FALSE(a.impl()->value_released());  // leaves never are

    // a handle rebuilt from the tape node says so instead of reading nothing
    Tensor rebuilt(y.impl()->inputs[0]);
    CHECK_THROWS_WITH(rebuilt.value(), Catch::Contains("add output ([2, 3]) was released"));
}

TEST_CASE("releasing values changes no gradient: an LSTM cell written op by op over 4 steps", "[tape][memory]") {
    ValueReleaseOn on;  // the layer under test, whatever TAPEGRAD_SPEED says
    ElementwiseFusion eager(false);  // a node per op, each with its own value
    const std::size_t B = 3, I = 4, H = 5;
    Tensor W = rnd({4 * H, I}, 3, -0.5, 0.5), U = rnd({4 * H, H}, 4, -0.5, 0.5), bias = rnd({4 * H}, 5);
    std::vector<Tensor> xs;
    for (std::size_t t = 0; t < 4; ++t) xs.push_back(rnd({B, I}, 10 + t, -1, 1, false));
    // keep_all: hold every intermediate, so that nothing is released
    auto loss = [&](bool keep_all, std::vector<Tensor>& held) {
        Tensor h = Tensor::zeros(make_shape({B, H})), c = Tensor::zeros(make_shape({B, H}));
        for (const Tensor& x : xs) {
            Tensor pre = linear(x, W, bias) + linear(h, U);
            auto g = chunk(pre, 4, 1);
            if (keep_all) {
                held.push_back(pre);
                held.insert(held.end(), g.begin(), g.end());
            }
            c = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
            h = sigmoid(g[3]) * tanh(c);
        }
        return sum(h * h);
    };
    std::vector<Tensor> held, none;
    loss(true, held).backward();
    CHECK_FALSE(held[0].impl()->value_released());
    const Array dW = W.grad(), dU = U.grad(), db = bias.grad();
    for (Tensor* p : {&W, &U, &bias}) p->zero_grad();
    Tensor l = loss(false, none);
    const std::size_t released = count_nodes(l, [](const TensorImpl& n) { return n.value_released(); });
    // per step: 2 products, their sum, 4 chunks, 2 gate products; then the
    // last c (tanh reads its output) and h * h (sum reads nothing)
    CHECK(released == 4 * (2 + 1 + 4 + 2) + 2);
    l.backward();
    CHECK(W.grad() == dW);
    CHECK(U.grad() == dU);
    CHECK(bias.grad() == db);
    CHECK_GRADS([&](const std::vector<Tensor>&) { return loss(false, none); }, W, U, bias);
}

TEST_CASE("GradFinalGuard: each reached leaf is reported once, when its gradient is complete", "[tape]") {
    Tensor a = Tensor::from({1, 2}, make_shape({2}), true), b = Tensor::from({3, 4}, make_shape({2}), true);
    Tensor unused = Tensor::from({5}, make_shape({1}), true), constant = Tensor::from({1, 1}, make_shape({2}));
    // a feeds an early node and the last one; b only the middle
    Tensor h = a * constant;
    for (int k = 0; k < 3; ++k) h = tanh(h * b);
    Tensor loss = sum(h * a) + sum(a * a);
    std::vector<std::pair<const TensorImpl*, Array>> reported;
    {
        GradFinalGuard guard([&](TensorImpl& leaf) { reported.emplace_back(&leaf, leaf.grad); });
        loss.backward();
    }
    REQUIRE(reported.size() == 2);  // a and b; never `unused`, never the constant
    for (const auto& [leaf, grad_then] : reported) {
        const Tensor& t = leaf == a.impl() ? a : b;
        CHECK((leaf == a.impl() || leaf == b.impl()));
        CHECK(close(grad_then, t.grad(), 0));  // nothing was added after the report
    }
    CHECK(reported[0].first != reported[1].first);
    // b's last contribution comes before a's (a is read by the oldest node)
    CHECK(reported[0].first == b.impl());
    // outside the guard, nothing is reported
    a.zero_grad();
    b.zero_grad();
    Tensor again = sum(a * b);
    again.backward();
    CHECK(reported.size() == 2);
}

TEST_CASE("GradFinalGuard over 20,000 unrolled steps: no recursion, one report per leaf", "[tape][deep]") {
    Tensor w = Tensor::from({real(0.5)}, make_shape({1}), true), x = Tensor::from({1}, make_shape({1}), true);
    Tensor h = x;
    for (int t = 0; t < 20000; ++t) h = h * w + x;
    std::size_t reports = 0;
    GradFinalGuard guard([&](TensorImpl&) { ++reports; });
    sum(h).backward();
    CHECK(reports == 2);
}
