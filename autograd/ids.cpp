// SPDX-License-Identifier: MIT
#include "ids.hpp"

#include <algorithm>
#include <ostream>
#include <type_traits>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

static_assert(std::is_same_v<IndexArray::shape_type, Shape>, "ids and tensors share one shape type");

Ids Ids::from(std::vector<Index> values, const Shape& shape) {
    const std::size_t n = checked_size("Ids::from", shape);
    if (n != values.size())
        fail("Ids::from: {} values cannot fill shape {} ({} elements)", values.size(), shape_str(shape), n);
    IndexArray a = IndexArray::from_shape(shape);
    std::copy(values.begin(), values.end(), a.begin());
    return Ids(std::move(a));
}

Ids Ids::from(std::vector<Index> values) {
    const Shape shape{values.size()};
    return from(std::move(values), shape);
}

Ids Ids::full(const Shape& shape, Index value) {
    checked_size("Ids::full", shape);
    IndexArray a = IndexArray::from_shape(shape);
    a.fill(value);
    return Ids(std::move(a));
}

Index Ids::at(std::initializer_list<std::size_t> index) const {
    if (index.size() != dim())
        fail<ValueError>("Ids::at: {} indices given for ids of shape {}", index.size(), shape_str(shape()));
    std::size_t flat = 0, k = 0;
    for (auto i : index) {
        if (i >= shape()[k])
            fail<ValueError>("Ids::at: index {} out of range for axis {} of shape {}", i, k, shape_str(shape()));
        flat = flat * shape()[k] + i;
        ++k;
    }
    return data()[flat];
}

std::ostream& operator<<(std::ostream& os, const Ids& ids) { return os << ids.to_string(); }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
