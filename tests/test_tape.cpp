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
