// SPDX-License-Identifier: MIT
// The op profiler: counts and times by op name, per thread, nestable.
#include <thread>

#include "helpers.hpp"

using namespace th;

namespace {
const Profiler::Row* find(const std::vector<Profiler::Row>& rows, const std::string& op) {
    for (const auto& r : rows)
        if (r.op == op) return &r;
    return nullptr;
}
}  // namespace

TEST_CASE("the profiler counts each op's forward and backward calls and times them", "[profiler]") {
    ElementwiseFusion eager(false);  // tanh(h * 0.9): a tanh node, not one fused node
    CHECK(active_profiler() == nullptr);
    Tensor x = rnd({8, 16}, 3);
    x.requires_grad_();
    Profiler prof;
    CHECK(active_profiler() == &prof);
    for (int i = 0; i < 3; ++i) {
        Tensor h = x;
        for (int t = 0; t < 5; ++t) h = tanh(h * real(0.9));
        sum(h).backward();
        prof.mark("(between steps)");
    }
    const auto rows = prof.rows();
    const Profiler::Row* tanh_row = find(rows, "tanh");
    REQUIRE(tanh_row != nullptr);
    CHECK(tanh_row->forward_calls == 15);
    CHECK(tanh_row->backward_calls == 15);
    CHECK(tanh_row->forward_ms >= 0);
    CHECK(tanh_row->backward_ms > 0);
    const Profiler::Row* sum_row = find(rows, "sum");
    REQUIRE(sum_row != nullptr);
    CHECK(sum_row->forward_calls == 3);
    REQUIRE(find(rows, "(between steps)") != nullptr);
    CHECK(find(rows, "(between steps)")->forward_calls == 3);
    REQUIRE(find(rows, "(until backward)") != nullptr);
    // most total time first, and the total is the sum of the rows
    double total = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        total += rows[i].total_ms();
        if (i) CHECK(rows[i - 1].total_ms() >= rows[i].total_ms());
    }
    CHECK(prof.total_ms() == Approx(total));
    const std::string table = prof.table();
    CHECK(table.find("tanh") != std::string::npos);
    CHECK(table.find("total") != std::string::npos);
    prof.reset();
    CHECK(prof.rows().empty());
    require_throws_with<ValueError>([&] { prof.mark(nullptr); }, {"Profiler::mark", "null"});
}

TEST_CASE("profilers nest, and each sees only its own thread", "[profiler]") {
    ElementwiseFusion eager(false);  // each op recorded where it is called, not on its first read
    Tensor x = rnd({4, 4}, 5);
    x.requires_grad_();
    Profiler outer;
    Tensor a = tanh(x);
    {
        Profiler inner;
        CHECK(active_profiler() == &inner);
        Tensor b = sigmoid(x);
        std::thread other([&] {
            CHECK(active_profiler() == nullptr);
            Tensor c = exp(x);  // recorded on a thread with no profiler
        });
        other.join();
        const auto rows = inner.rows();
        CHECK(find(rows, "sigmoid") != nullptr);
        CHECK(find(rows, "tanh") == nullptr);
        CHECK(find(rows, "exp") == nullptr);
    }
    CHECK(active_profiler() == &outer);
    const auto rows = outer.rows();
    CHECK(find(rows, "tanh") != nullptr);
    CHECK(find(rows, "sigmoid") == nullptr);
}
