// SPDX-License-Identifier: MIT
// Tape inspection: the text listing and the Graphviz export.
#include "helpers.hpp"

using namespace th;

TEST_CASE("tape_text lists every node in creation order with its inputs", "[graph]") {
    ElementwiseFusion eager(false);  // tanh and mul as two nodes
    Tensor W = rnd({3, 2}, 1).set_label("W");
    Tensor x = rnd({1, 3}, 2, -1, 1, false).set_label("x");
    Tensor h = tanh(matmul(x, W));
    Tensor loss = sum(h * h);
    const std::string t = tape_text(loss);
    INFO(t);
    // x, W, matmul, tanh, mul, sum: six entries, leaves first
    CHECK(std::count(t.begin(), t.end(), '\n') == 6);
    CHECK(t.find("leaf") != std::string::npos);
    CHECK(t.find("matmul") < t.find("tanh"));
    CHECK(t.find("tanh") < t.find("sum"));
    CHECK(t.find("<- #1 x, #0 W") != std::string::npos);  // W was created first
    CHECK(t.find("<- #3, #3") != std::string::npos);  // h * h: the same input twice
    loss.backward();
    CHECK(tape_text(loss).find("(freed by backward)") != std::string::npos);
}

TEST_CASE("tape_dot writes a Graphviz graph with one edge per input", "[graph]") {
    ElementwiseFusion eager(false);  // exp and add as two nodes
    Tensor a = rnd({2}, 1).set_label("a");
    Tensor b = exp(a) + a;
    const std::string d = tape_dot(b, "example");
    CHECK(d.rfind("digraph tape {", 0) == 0);
    CHECK(d.find("label=\"example\"") != std::string::npos);
    CHECK(d.find("label=\"exp\\n[2]\"") != std::string::npos);
    CHECK(d.find("label=\"a\\n[2]\"") != std::string::npos);
    CHECK(std::count(d.begin(), d.end(), '>') - 0 == 3);  // a->exp, exp->add, a->add
    CHECK(d.back() == '\n');
}
