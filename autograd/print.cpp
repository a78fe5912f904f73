// SPDX-License-Identifier: MIT
// Printing a tensor: its shape, op and values, long axes cut in the middle.
#include <ostream>

#include <type_traits>

#include "ids.hpp"
#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
template <class T>
void print_rec(std::string& out, const T* d, const Shape& s, std::size_t axis, std::size_t indent) {
    std::size_t stride = 1;
    for (std::size_t k = axis + 1; k < s.size(); ++k) stride *= s[k];
    const std::size_t n = s[axis];
    const std::size_t edge = 3;  // long axes print as "a, b, c, ..., x, y, z"
    const bool cut = n > 2 * edge + 1;
    out += '[';
    for (std::size_t i = 0; i < n; ++i) {
        if (cut && i == edge) {
            out += axis + 1 == s.size() ? "..., " : fmt::format("...,\n{:{}}", "", indent + 1);
            i = n - edge - 1;
            continue;
        }
        if (axis + 1 == s.size()) {
            if constexpr (std::is_integral_v<T>)
                out += fmt::format("{}", d[i]);
            else
                out += fmt::format("{:.4g}", static_cast<double>(d[i]));
            if (i + 1 < n) out += ", ";
        } else {
            print_rec(out, d + i * stride, s, axis + 1, indent + 1);
            if (i + 1 < n) out += fmt::format(",\n{:{}}", "", indent + 1);
        }
    }
    out += ']';
}
}  // namespace

std::string Tensor::to_string() const {
    if (!impl_) return "Tensor(undefined)";
    const auto& v = checked().value;
    std::string out = fmt::format("Tensor{}", shape_str(v.shape()));
    if (impl_->op) out += fmt::format(" op={}", impl_->op);
    if (impl_->requires_grad) out += " requires_grad";
    out += "\n";
    if (v.dimension() == 0)
        out += fmt::format("{:.4g}", static_cast<double>(v.data()[0]));
    else if (v.size() == 0)
        out += "[]";
    else
        print_rec(out, v.data(), v.shape(), 0, 0);
    return out;
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

std::string Ids::to_string() const {
    std::string out = fmt::format("Ids{}\n", shape_str(shape()));
    if (dim() == 0)
        out += fmt::format("{}", data()[0]);
    else if (numel() == 0)
        out += "[]";
    else
        print_rec(out, data(), shape(), 0, 0);
    return out;
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
