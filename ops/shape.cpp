// SPDX-License-Identifier: MIT
#include "shape.hpp"

#include "../speed/fusion.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <fmt/ranges.h>
#include <xtensor/xmanipulation.hpp>

#include "../autograd/record.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
std::size_t extent(const Shape& s, std::size_t from, std::size_t to) {
    std::size_t p = 1;
    for (std::size_t i = from; i < to; ++i) p *= s[i];
    return p;
}

// A row-major tensor seen as [outer, len, inner] around one axis. Copies (or
// adds) `count` entries of that axis from src (starting at src_start) to dst
// (starting at dst_start). Every concat/slice/stack forward and backward is
// this one loop of contiguous runs.
void move_block(const real* src, std::size_t src_len, std::size_t src_start, real* dst, std::size_t dst_len,
                std::size_t dst_start, std::size_t count, std::size_t outer, std::size_t inner, bool add) {
    const std::size_t run = count * inner;
    if (run == 0) return;  // an empty block: its buffer may be null, which memcpy must not see
    for (std::size_t o = 0; o < outer; ++o) {
        const real* s = src + (o * src_len + src_start) * inner;
        real* d = dst + (o * dst_len + dst_start) * inner;
        if (add)
            for (std::size_t k = 0; k < run; ++k) d[k] += s[k];
        else
            std::memcpy(d, s, run * sizeof(real));
    }
}

// dst = (or +=) src with its axes reordered: output axis i is input axis
// perm[i]. Walks the output in order, one run along its last axis at a time
// (a memcpy when that axis is the input's last too, as when swapping time
// and batch); xtensor's strided assignment took ten times as long.
void permute_into(const real* src, const Shape& in, const std::vector<std::size_t>& perm, real* dst, bool add) {
    const std::size_t n = in.size();
    if (n == 0) {
        dst[0] = add ? dst[0] + src[0] : src[0];
        return;
    }
    std::vector<std::size_t> in_stride(n, 1), out(n), stride(n), idx(n, 0);
    for (std::size_t i = n - 1; i > 0; --i) in_stride[i - 1] = in_stride[i] * in[i];
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = in[perm[i]];
        stride[i] = in_stride[perm[i]];
    }
    const std::size_t total = extent(out, 0, n), run = out[n - 1], step = stride[n - 1];
    if (total == 0) return;
    std::size_t off = 0;
    for (std::size_t base = 0; base < total; base += run) {
        const real* s = src + off;
        real* d = dst + base;
        if (step == 1 && !add)
            std::memcpy(d, s, run * sizeof(real));
        else if (add)
            for (std::size_t k = 0; k < run; ++k) d[k] += s[k * step];
        else
            for (std::size_t k = 0; k < run; ++k) d[k] = s[k * step];
        for (std::size_t a = n - 1; a-- > 0;) {  // odometer over the outer output axes
            off += stride[a];
            if (++idx[a] < out[a]) break;
            off -= stride[a] * out[a];
            idx[a] = 0;
        }
    }
}
}  // namespace

// Y = permute(X, p)  =>  dX = permute(dY, p^-1)
Tensor permute(const Tensor& x, const std::vector<std::size_t>& perm) {
    const std::size_t n = x.dim();
    std::vector<std::size_t> seen(n, 0);
    bool ok = perm.size() == n;
    for (std::size_t i = 0; ok && i < n; ++i) ok = perm[i] < n && !seen[perm[i]]++;
    if (!ok) fail<ValueError>("permute: [{}] is not a permutation of the axes of a tensor of shape {}",
                              fmt::join(perm, ", "), shape_str(x.shape()));
    std::vector<std::size_t> inv(n);
    for (std::size_t i = 0; i < n; ++i) inv[perm[i]] = i;
    Shape out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = x.shape()[perm[i]];
    Array y = Array::from_shape(out);
    permute_into(x.data(), x.shape(), perm, y.data(), false);
    return record("permute", std::move(y), {unread(x)}, [inv](TensorImpl& y) {
        TensorImpl& X = *y.inputs[0];
        if (!X.requires_grad) return;
        const GradBuffer dx = grad_into(X);
        permute_into(y.grad.data(), y.value.shape(), inv, dx.data, dx.beta != 0);
    }, Output::unread);
}

Tensor transpose(const Tensor& x, std::ptrdiff_t axis0, std::ptrdiff_t axis1) {
    const std::size_t a0 = normalize_axis("transpose", axis0, x.dim());
    const std::size_t a1 = normalize_axis("transpose", axis1, x.dim());
    std::vector<std::size_t> perm(x.dim());
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[a0], perm[a1]);
    return permute(x, perm);
}

// Y = reshape(X)  =>  dX = reshape(dY, shape of X)
Tensor reshape(const Tensor& x, const std::vector<std::ptrdiff_t>& shape) {
    Shape out(shape.size());
    std::size_t known = 1;
    std::ptrdiff_t infer = -1;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1 && infer < 0) {
            infer = static_cast<std::ptrdiff_t>(i);
        } else if (shape[i] < 0) {
            fail<ValueError>("reshape: invalid target shape [{}] for a tensor of shape {}", fmt::join(shape, ", "),
                             shape_str(x.shape()));
        } else {
            out[i] = static_cast<std::size_t>(shape[i]);
        }
    }
    {
        Shape given = out;
        if (infer >= 0) given[static_cast<std::size_t>(infer)] = 1;
        known = checked_size("reshape", given);
    }
    if (infer >= 0) out[static_cast<std::size_t>(infer)] = known ? x.numel() / known : 0;
    std::size_t total = extent(out, 0, out.size());
    if (total != x.numel())
        fail("reshape: cannot reshape a tensor of shape {} ({} elements) to [{}]", shape_str(x.shape()), x.numel(),
             fmt::join(shape, ", "));
    Array v = x.value();
    v.reshape(out);
    return record("reshape", std::move(v), {unread(x)}, [](TensorImpl& y) {
        TensorImpl& in = *y.inputs[0];
        Array g = y.grad;
        g.reshape(in.value.shape());
        accumulate(in, std::move(g));
    }, Output::unread);
}

// Y = X[.., start:end, ..]  =>  dX[.., start:end, ..] += dY, zero elsewhere
Tensor slice(const Tensor& x, std::ptrdiff_t axis, std::size_t start, std::size_t end) {
    const std::size_t a = normalize_axis("slice", axis, x.dim());
    const Shape& s = x.shape();
    if (start > end || end > s[a])
        fail<ValueError>("slice: range [{}, {}) is out of bounds for axis {} of shape {}", start, end, a,
                         shape_str(s));
    Shape out = s;
    out[a] = end - start;
    const std::size_t outer = extent(s, 0, a), inner = extent(s, a + 1, s.size());
    // read in place by the elementwise ops that take it (speed/fusion.hpp)
    if (Tensor v = fusion::view(x, out, start * inner, (end - start) * inner, s[a] * inner, std::ptrdiff_t(a), start,
                                end);
        v.defined())
        return v;
    Array y = Array::from_shape(out);
    move_block(x.data(), s[a], start, y.data(), out[a], 0, out[a], outer, inner, false);
    return record("slice", std::move(y), {unread(x)}, [a, start, outer, inner](TensorImpl& y) {
        TensorImpl& in = *y.inputs[0];
        move_block(y.grad.data(), y.value.shape()[a], 0, grad_into(in, true).data, in.value.shape()[a], start,
                   y.value.shape()[a], outer, inner, true);
    }, Output::unread);
}

namespace {
// concat and stack share everything but the output shape: each input i is a
// block [outer, len_i, inner] placed at offset_i along the joined axis.
Tensor join(const char* op, const std::vector<Tensor>& xs, Shape out, std::size_t outer,
            std::size_t inner, std::vector<std::size_t> lens) {
    std::vector<std::size_t> offs(lens.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < lens.size(); ++i) {
        offs[i] = total;
        total += lens[i];
    }
    Array y = Array::from_shape(out);
    for (std::size_t i = 0; i < xs.size(); ++i)
        move_block(xs[i].data(), lens[i], 0, y.data(), total, offs[i], lens[i], outer, inner, false);
    std::vector<Input> inputs;
    for (const Tensor& x : xs) inputs.push_back(unread(x));
    return record(op, std::move(y), inputs, [lens, offs, total, outer, inner](TensorImpl& y) {
        for (std::size_t i = 0; i < y.inputs.size(); ++i) {
            if (!wants_grad(y, i)) continue;
            TensorImpl& in = *y.inputs[i];
            move_block(y.grad.data(), total, offs[i], grad_into(in, true).data, lens[i], 0, lens[i], outer, inner,
                       true);
        }
    }, Output::unread);
}
}  // namespace

// Y = [X_1, ..., X_n] along axis  =>  dX_i = the matching block of dY
Tensor concat(const std::vector<Tensor>& xs, std::ptrdiff_t axis) {
    if (xs.empty()) fail<ValueError>("concat: no tensors given");
    const Shape& s0 = xs[0].shape();
    const std::size_t a = normalize_axis("concat", axis, s0.size());
    std::vector<std::size_t> lens;
    Shape out = s0;
    out[a] = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const Shape& s = xs[i].shape();
        bool same = s.size() == s0.size();
        for (std::size_t k = 0; same && k < s.size(); ++k) same = k == a || s[k] == s0[k];
        if (!same)
            fail("concat: tensor {} has shape {}, which does not match {} outside axis {}", i, shape_str(s),
                 shape_str(s0), a);
        lens.push_back(s[a]);
        if (out[a] > SIZE_MAX - s[a]) fail<ValueError>("concat: the joined axis {} is longer than size_t counts", a);
        out[a] += s[a];
    }
    checked_size("concat", out);
    return join("concat", xs, out, extent(s0, 0, a), extent(s0, a + 1, s0.size()), lens);
}

// Y = stack(X_1..X_n) on a new axis  =>  dX_i = dY[.., i, ..]
Tensor stack(const std::vector<Tensor>& xs, std::ptrdiff_t axis) {
    if (xs.empty()) fail<ValueError>("stack: no tensors given");
    const Shape& s0 = xs[0].shape();
    const std::size_t a = normalize_axis("stack", axis, s0.size() + 1);
    for (std::size_t i = 1; i < xs.size(); ++i)
        if (xs[i].shape() != s0)
            fail("stack: tensor {} has shape {} but tensor 0 has shape {}", i, shape_str(xs[i].shape()),
                 shape_str(s0));
    Shape out(s0.size() + 1);
    for (std::size_t k = 0, j = 0; k < out.size(); ++k) out[k] = k == a ? xs.size() : s0[j++];
    checked_size("stack", out);
    return join("stack", xs, out, extent(s0, 0, a), extent(s0, a, s0.size()),
                std::vector<std::size_t>(xs.size(), 1));
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::size_t>& sizes, std::ptrdiff_t axis) {
    const std::size_t a = normalize_axis("split", axis, x.dim());
    const std::size_t sum = std::accumulate(sizes.begin(), sizes.end(), std::size_t{0});
    if (sum != x.shape()[a])
        fail<ValueError>("split: sizes [{}] add up to {}, but axis {} of shape {} has length {}",
                         fmt::join(sizes, ", "), sum, a, shape_str(x.shape()), x.shape()[a]);
    std::vector<Tensor> out;
    out.reserve(sizes.size());
    std::size_t start = 0;
    for (std::size_t n : sizes) {
        out.push_back(slice(x, static_cast<std::ptrdiff_t>(a), start, start + n));
        start += n;
    }
    return out;
}

std::vector<Tensor> chunk(const Tensor& x, std::size_t n, std::ptrdiff_t axis) {
    const std::size_t a = normalize_axis("chunk", axis, x.dim());
    const std::size_t len = x.shape()[a];
    if (n == 0 || len % n != 0)
        fail<ValueError>("chunk: axis {} of shape {} (length {}) does not split into {} equal chunks", a,
                         shape_str(x.shape()), len, n);
    return split(x, std::vector<std::size_t>(n, len / n), static_cast<std::ptrdiff_t>(a));
}

// Y = X[i]  =>  dX[i] += dY   (one copy, the per-step read of a [T, ...] sequence)
Tensor select(const Tensor& x, std::size_t i) {
    if (x.dim() == 0) fail("select: cannot index a 0-D tensor");
    if (i >= x.shape()[0])
        fail<ValueError>("select: index {} is out of range for axis 0 of shape {}", i, shape_str(x.shape()));
    const Shape out(x.shape().begin() + 1, x.shape().end());
    const std::size_t n = x.numel() / x.shape()[0];
    if (Tensor v = fusion::view(x, out, i * n, n, n, -1, i, i + 1); v.defined()) return v;
    Array y = Array::from_shape(out);
    if (n > 0) std::memcpy(y.data(), x.data() + i * n, n * sizeof(real));
    return record("select", std::move(y), {unread(x)}, [i, n](TensorImpl& y) {
        real* dx = grad_into(*y.inputs[0], true).data + i * n;
        const real* g = y.grad.data();
        for (std::size_t k = 0; k < n; ++k) dx[k] += g[k];
    }, Output::unread);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
