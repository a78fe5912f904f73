// SPDX-License-Identifier: MIT
#include "index.hpp"

#include <cstring>
#include <xtensor/xoperation.hpp>

#include "../autograd/record.hpp"
#include "broadcast.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Y[k] = T[ids[k]]  =>  dT[ids[k]] += dY[k]
Tensor index_select(const Tensor& table, const IndexArray& ids, Index padding_idx) {
    if (table.dim() == 0) fail("index_select: the table must have at least one axis, got shape []");
    const std::size_t rows = table.shape()[0];
    const std::size_t row = checked_size("index_select", Shape(table.shape().begin() + 1, table.shape().end()));
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const Index id = ids.data()[k];
        if (id < 0 || static_cast<std::size_t>(id) >= rows)
            fail<ValueError>("index_select: id {} at position {} is out of range for a table of {} rows (shape {})",
                             id, k, rows, shape_str(table.shape()));
    }
    Shape out(ids.shape().begin(), ids.shape().end());
    for (std::size_t i = 1; i < table.dim(); ++i) out.push_back(table.shape()[i]);
    checked_size("index_select", out);
    Array y = Array::from_shape(out);
    for (std::size_t k = 0; k < ids.size() && row > 0; ++k)  // (an empty buffer may be null: no memcpy of it)
        std::memcpy(y.data() + k * row, table.data() + static_cast<std::size_t>(ids.data()[k]) * row,
                    row * sizeof(real));
    return record("index_select", std::move(y), {unread(table)}, [ids, row, padding_idx](TensorImpl& y) {
        real* g = grad_into(*y.inputs[0], true).data;
        const real* dy = y.grad.data();
        for (std::size_t k = 0; k < ids.size(); ++k) {
            if (ids.data()[k] == padding_idx) continue;
            real* dst = g + static_cast<std::size_t>(ids.data()[k]) * row;
            for (std::size_t j = 0; j < row; ++j) dst[j] += dy[k * row + j];
        }
    }, Output::unread);
}

// Y = m ? A : B  =>  dA = m * dY, dB = (1 - m) * dY   (each summed back to its shape)
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b) {
    const Shape ab = broadcast_shapes("where", a.shape(), b.shape());
    broadcast_shapes("where (mask)", mask.shape(), ab);
    Array m, y;
    if (mask.shape() == a.shape() && a.shape() == b.shape()) {  // no broadcasting: a plain loop, far faster
        m = Array::from_shape(a.shape());
        y = Array::from_shape(a.shape());
        const real *__restrict mv = mask.data(), *__restrict av = a.data(), *__restrict bv = b.data();
        real *__restrict mo = m.data(), *__restrict yo = y.data();
        // branch-free, so that it vectorises: a mask of random signs would mispredict every other element
        for (std::size_t k = 0; k < y.size(); ++k) mo[k] = real(mv[k] != 0);
        for (std::size_t k = 0; k < y.size(); ++k) yo[k] = mo[k] != 0 ? av[k] : bv[k];  // a select, not a blend of products: inf * 0 would be nan
    } else {
        m = xt::cast<real>(xt::not_equal(mask.value(), real(0)));
        y = xt::where(m, a.value(), b.value());
    }
    return record("where", std::move(y), {unread(a), unread(b)}, [m](TensorImpl& y) {
        auto& a = *y.inputs[0];
        auto& b = *y.inputs[1];
        if (a.requires_grad) accumulate(a, sum_to(y.grad * m, a.value.shape()));
        if (b.requires_grad) accumulate(b, sum_to(y.grad * (real(1) - m), b.value.shape()));
    }, Output::unread);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, real value) {
    return where(mask, Tensor::full(make_shape({1}), value), x);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
