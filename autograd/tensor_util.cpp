// SPDX-License-Identifier: MIT
// The Tensor handle's conveniences: factories, element access, labels and
// the shape helpers every message uses. (The handle's autograd is tensor.cpp.)
#include <algorithm>

#include "tensor.hpp"

#include <cstdint>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor Tensor::zeros(const Shape& shape, bool rg) {
    checked_size("Tensor::zeros", shape);
    return Tensor(Array(xt::zeros<real>(shape)), rg);
}
Tensor Tensor::ones(const Shape& shape, bool rg) {
    checked_size("Tensor::ones", shape);
    return Tensor(Array(xt::ones<real>(shape)), rg);
}
Tensor Tensor::full(const Shape& shape, real v, bool rg) {
    checked_size("Tensor::full", shape);
    return Tensor(Array(shape, v), rg);
}
Tensor Tensor::scalar(real v, bool rg) { return Tensor(Array(v), rg); }

Tensor Tensor::from(std::vector<real> values, const Shape& shape, bool rg) {
    const std::size_t n = checked_size("Tensor::from", shape);
    if (n != values.size())
        fail("Tensor::from: {} values cannot fill shape {} ({} elements)", values.size(), shape_str(shape), n);
    Array a(shape);
    std::copy(values.begin(), values.end(), a.begin());
    return Tensor(std::move(a), rg);
}

std::size_t Tensor::size(std::ptrdiff_t axis) const {
    return shape()[normalize_axis("Tensor::size", axis, dim())];
}

real Tensor::item() const {
    const auto& v = value();
    if (v.size() != 1) fail("item: tensor of shape {} has {} elements, not one", shape_str(v.shape()), v.size());
    return v.data()[0];
}

real Tensor::at(std::initializer_list<std::size_t> index) const {
    const auto& v = value();
    if (index.size() != v.dimension())
        fail<ValueError>("at: {} indices given for a tensor of shape {}", index.size(), shape_str(v.shape()));
    std::size_t flat = 0, k = 0;
    for (auto i : index) {
        if (i >= v.shape()[k]) fail<ValueError>("at: index {} out of range for axis {} of shape {}", i, k, shape_str(v.shape()));
        flat = flat * v.shape()[k] + i;
        ++k;
    }
    return v.data()[flat];
}

Tensor Tensor::grad_tensor() const { return Tensor(grad()); }

Tensor Tensor::detach() const { return Tensor(value(), false); }

const char* Tensor::op_name() const { return checked().op ? impl_->op : "leaf"; }

Tensor& Tensor::set_label(std::string label) {
    checked();
    impl_->label = std::move(label);
    return *this;
}
const std::string& Tensor::label() const { return checked().label; }

// ---------------------------------------------------------------- shapes
std::string shape_str(const Shape& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(s[i]);
    }
    return out + "]";
}

Shape make_shape(std::initializer_list<std::size_t> dims) { return Shape(dims.begin(), dims.end()); }

std::size_t checked_size(const char* op, const Shape& shape) {
    // bytes, not only elements, must be addressable
    constexpr std::size_t kMax = std::size_t(PTRDIFF_MAX) / sizeof(real);
    std::size_t n = 1;
    bool empty = false, over = false;
    for (std::size_t d : shape) {
        empty = empty || d == 0;
        if (!over && d != 0 && n > kMax / d) over = true;
        if (!over) n *= d;
    }
    if (empty) return 0;  // any dims beside a 0: no elements, nothing to allocate
    if (over) fail<ValueError>("{}: shape {} has more elements than memory can address", op, shape_str(shape));
    return n;
}

std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t ndim) {
    const auto n = static_cast<std::ptrdiff_t>(ndim);
    if (axis < -n || axis >= n) fail<ValueError>("{}: axis {} is out of range for a {}-D tensor", op, axis, ndim);
    return static_cast<std::size_t>(axis < 0 ? axis + n : axis);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
