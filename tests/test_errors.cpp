// SPDX-License-Identifier: MIT
// Bad input: each error names the op and the offending shapes or values.
#include "helpers.hpp"

using namespace th;

TEST_CASE("elementwise ops name the op and both shapes on a broadcast mismatch", "[errors]") {
    Tensor a = rnd({2, 3}, 1), b = rnd({4}, 2);
    require_throws_with<ShapeError>([&] { add(a, b); }, {"add:", "[2, 3]", "[4]", "cannot be broadcast"});
    require_throws_with<ShapeError>([&] { a - b; }, {"sub:", "[2, 3]", "[4]"});
    require_throws_with<ShapeError>([&] { a * b; }, {"mul:", "[2, 3]", "[4]"});
    require_throws_with<ShapeError>([&] { a / b; }, {"div:", "[2, 3]", "[4]"});
    require_throws_with<ShapeError>([&] { where(Tensor::ones(make_shape({5})), a, a); }, {"where", "[5]", "[2, 3]"});
}

TEST_CASE("matmul names both shapes", "[errors]") {
    require_throws_with<ShapeError>([&] { matmul(rnd({2, 3}, 1), rnd({4, 5}, 2)); },
                                    {"matmul:", "inner dimensions", "[2, 3]", "[4, 5]"});
    require_throws_with<ShapeError>([&] { matmul(rnd({2, 3, 4}, 1), rnd({3, 4, 5}, 2)); },
                                    {"matmul:", "batch", "[2, 3, 4]", "[3, 4, 5]"});
    require_throws_with<ShapeError>([&] { matmul(rnd({3}, 1), rnd({3, 4}, 2)); }, {"matmul:", "[3]", "[3, 4]"});
}

TEST_CASE("attention ops name the query, keys, mask and weights shapes", "[errors]") {
    Tensor keys = rnd({2, 3, 4}, 1);
    require_throws_with<ShapeError>([&] { attention_weights(rnd({2, 5}, 2), keys); },
                                    {"attention_weights:", "query [2, 5]", "[2, 4]", "[2, 3, 4]"});
    require_throws_with<ShapeError>([&] { attention_weights(rnd({2, 4}, 2), rnd({2, 4}, 3)); },
                                    {"attention_weights:", "keys [2, 4]", "[batch, source, size]"});
    require_throws_with<ShapeError>([&] { attention_weights(rnd({2, 4}, 2), keys, rnd({2, 4}, 3)); },
                                    {"attention_weights:", "mask [2, 4]", "[2, 3]"});
    require_throws_with<ValueError>([&] { attention_weights(rnd({2, 4}, 2), rnd({2, 0, 4}, 3)); },
                                    {"attention_weights:", "[2, 0, 4]", "no source positions"});
    require_throws_with<ShapeError>([&] { attention_context(rnd({2, 4}, 2), keys); },
                                    {"attention_context:", "weights [2, 4]", "[2, 3]", "[2, 3, 4]"});
}

TEST_CASE("shape ops report bad axes, ranges and sizes", "[errors]") {
    Tensor a = rnd({2, 3}, 1);
    require_throws_with<ValueError>([&] { slice(a, 1, 2, 5); }, {"slice:", "[2, 5)", "[2, 3]"});
    require_throws_with<ValueError>([&] { slice(a, 2, 0, 1); }, {"slice:", "axis 2", "2-D"});
    require_throws_with<ShapeError>([&] { reshape(a, {4, 2}); }, {"reshape:", "[2, 3]", "[4, 2]"});
    require_throws_with<ShapeError>([&] { concat({a, rnd({3, 3}, 2)}, 1); }, {"concat:", "[3, 3]", "[2, 3]"});
    require_throws_with<ShapeError>([&] { stack({a, rnd({3, 2}, 2)}); }, {"stack:", "[3, 2]", "[2, 3]"});
    require_throws_with<ValueError>([&] { chunk(a, 2, 1); }, {"chunk:", "length 3", "2 equal"});
    require_throws_with<ValueError>([&] { split(a, {1, 1}, 1); }, {"split:", "add up to 2", "length 3"});
    require_throws_with<ValueError>([&] { permute(a, {0, 0}); }, {"permute:", "[0, 0]", "[2, 3]"});
    require_throws_with<ValueError>([&] { sum(a, -3); }, {"axis -3", "2-D"});
}

TEST_CASE("index_select names the bad id and the table size", "[errors]") {
    Tensor table = rnd({10, 4}, 1);
    IndexArray ids = {1, 12, 3};
    require_throws_with<ValueError>([&] { embedding(table, ids); },
                                    {"index_select:", "id 12", "position 1", "10 rows"});
    IndexArray neg = {-1};
    require_throws_with<ValueError>([&] { embedding(table, neg); }, {"id -1"});
}

TEST_CASE("losses check targets and shapes", "[errors]") {
    Tensor logits = rnd({3, 5}, 1);
    IndexArray bad_shape = {1, 2};
    require_throws_with<ShapeError>([&] { cross_entropy(logits, bad_shape); }, {"cross_entropy:", "[2]", "[3, 5]"});
    IndexArray bad_class = {1, 5, 0};
    require_throws_with<ValueError>([&] { cross_entropy(logits, bad_class); },
                                    {"cross_entropy:", "target 5", "position 1", "5 classes"});
    require_throws_with<ShapeError>([&] { mse(rnd({3}, 1), rnd({4}, 2)); }, {"mse:", "[3]", "[4]"});
}

TEST_CASE("value checks: dropout probability, clamp bounds, item", "[errors]") {
    Tensor a = rnd({2}, 1);
    require_throws_with<ValueError>([&] { dropout(a, real(1), true); }, {"dropout:", "outside [0, 1)"});
    require_throws_with<ValueError>([&] { clamp(a, real(1), real(0)); }, {"clamp:"});
    require_throws_with<ShapeError>([&] { (void)a.item(); }, {"item:", "[2]"});
    require_throws_with<ShapeError>([&] { Tensor::from({1, 2, 3}, make_shape({2, 2})); }, {"3 values", "[2, 2]"});
}
