// SPDX-License-Identifier: MIT
// Ids, the integer tensor of token ids, and the ops that choose ids:
// argmax, topk, multinomial.
#include <map>

#include "helpers.hpp"

using namespace th;

TEST_CASE("Ids: factories, element access, printing, and the ops that take ids", "[ids]") {
    Ids x = Ids::from({4, 7, 7, 2, 9, 1}, {3, 2});
    REQUIRE(x.shape() == make_shape({3, 2}));
    CHECK(x(1, 0) == 7);
    CHECK(x.at({2, 1}) == 1);
    require_throws_with<ValueError>([&] { x.at({3, 0}); }, {"Ids::at", "index 3", "[3, 2]"});
    require_throws_with<ValueError>([&] { x.at({1}); }, {"Ids::at", "1 indices", "[3, 2]"});
    require_throws_with<ShapeError>([&] { Ids::from({1, 2, 3}, {2, 2}); }, {"Ids::from", "3 values", "[2, 2]"});
    CHECK(x.to_string() == "Ids[3, 2]\n[[4, 7],\n [7, 2],\n [9, 1]]");
    Ids z = Ids::zeros({2, 2});
    z(0, 1) = 5;
    CHECK(z.to_vector() == std::vector<Index>{0, 5, 0, 0});
    CHECK(Ids::from({3, 1}).shape() == make_shape({2}));
    // embedding and cross_entropy take them
    Tensor table = rnd({10, 4}, 1);
    CHECK(embedding(table, x).shape() == make_shape({3, 2, 4}));
    Tensor logits = rnd({3, 2, 10}, 2);
    CHECK(std::isfinite(cross_entropy(logits, x).item()));
}

TEST_CASE("argmax and topk: largest first, the first position on ties, along any axis", "[ids]") {
    Tensor x = Tensor::from({1, 5, 5, 2, 0, -1, 3, 3, 4}, make_shape({3, 3}));
    CHECK(argmax(x).to_vector() == std::vector<Index>{1, 0, 2});
    CHECK(argmax(x, 0).to_vector() == std::vector<Index>{2, 0, 0});  // down the columns
    const TopK t = topk(x, 2);
    CHECK(t.indices.to_vector() == std::vector<Index>{1, 2, 0, 1, 2, 0});
    CHECK(t.values.value()(2, 0) == 4);
    CHECK(t.values.value()(2, 1) == 3);
    const TopK c = topk(x, 1, 0);  // down the columns
    CHECK(c.indices.to_vector() == std::vector<Index>{2, 0, 0});
    require_throws_with<ValueError>([&] { topk(x, 4); }, {"topk", "k = 4", "[1, 3]"});
    require_throws_with<ValueError>([&] { argmax(Tensor::zeros(make_shape({2, 0}))); }, {"argmax", "empty"});
    // NaN is never hidden behind a finite value
    Tensor n = Tensor::from({1, std::numeric_limits<real>::quiet_NaN(), 2}, make_shape({3}));
    CHECK(argmax(n).to_vector() == std::vector<Index>{1});
}

TEST_CASE("multinomial draws in proportion to the weights, seeded, and refuses what is not a distribution", "[ids]") {
    Tensor p = Tensor::from({0.1, 0, 0.6, 0.3}, make_shape({1, 4}));
    Generator g(7);
    const Ids draws = multinomial(p, 20000, g);
    std::map<Index, int> count;
    for (Index d : draws) ++count[d];
    CHECK(count[1] == 0);  // zero weight, never drawn
    CHECK(double(count[0]) / 20000 == Approx(0.1).margin(0.01));
    CHECK(double(count[2]) / 20000 == Approx(0.6).margin(0.015));
    CHECK(double(count[3]) / 20000 == Approx(0.3).margin(0.015));
    Generator a(3), b(3);
    CHECK(multinomial(p, 50, a).to_vector() == multinomial(p, 50, b).to_vector());
    require_throws_with<ValueError>([&] { multinomial(Tensor::from({0.5, -0.1}, make_shape({2})), 1); },
                                    {"multinomial", "-0.1", ">= 0"});
    require_throws_with<ValueError>([&] { multinomial(Tensor::zeros(make_shape({2, 3})), 1); },
                                    {"multinomial", "row 0", "no weight"});
}
