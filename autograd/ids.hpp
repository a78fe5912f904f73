// SPDX-License-Identifier: MIT
#pragma once
// Ids: a tensor of integer ids -- token ids, class targets, sampled words.
// Never on the tape (nothing is differentiated with respect to an id);
// every op that takes ids (embedding, index_select, cross_entropy, the
// batching helpers) takes an Ids.
//
//   Ids x = Ids::from({4, 7, 7, 2, 9, 1}, {3, 2});   // [T, B]: three steps of a batch of two
//   Ids y = Ids::zeros({3, 2});
//   y(0, 1) = 5;
//   Tensor e = embedding(table, x);                    // [3, 2, dim]
//   Ids best = argmax(logits);                         // ops/ranking.hpp: argmax, topk, multinomial
//
// An Ids is an IndexArray (an xtensor array of int64) with factories,
// checked element access and printing, so xtensor's functions work on it.

#include <initializer_list>
#include <iosfwd>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

class Ids : public IndexArray {
public:
    Ids() : IndexArray(IndexArray::shape_type{0}) {}
    Ids(IndexArray a) : IndexArray(std::move(a)) {}  // NOLINT: implicit, an array of ids is ids

    // Row-major values with an explicit shape; throws if the counts differ.
    static Ids from(std::vector<Index> values, const Shape& shape);
    // A 1-D Ids holding these values.
    static Ids from(std::vector<Index> values);
    static Ids full(const Shape& shape, Index value);
    static Ids zeros(const Shape& shape) { return full(shape, 0); }

    const Shape& shape() const { return IndexArray::shape(); }
    std::size_t dim() const { return IndexArray::dimension(); }
    std::size_t numel() const { return IndexArray::size(); }
    // Element access with every index checked (ValueError naming the shape).
    Index at(std::initializer_list<std::size_t> index) const;
    using IndexArray::operator();  // unchecked, as xtensor's

    std::string to_string() const;
    std::vector<Index> to_vector() const { return std::vector<Index>(begin(), end()); }
};

std::ostream& operator<<(std::ostream& os, const Ids& ids);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
