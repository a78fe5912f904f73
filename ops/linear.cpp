// Y = X W^T + b  =>  dX = G W,  dW = G^T X,  db = sum of G over rows.
//
// A recurrent layer calls linear(h_t, W_hh, b_hh) once per step, so dW would
// be T small GEMMs (K = batch) each reading and writing all of dW. Instead,
// for a leaf weight and small row counts, the rows of G and X are staged
// and dW, db are computed once, as one GEMM with K = T * batch, when the
// backward walk ends (at_walk_end).
#include "linear.hpp"

#include <cstring>
#include <algorithm>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "../autograd/backward.hpp"
#include "../autograd/parallel.hpp"
#include "../autograd/tape.hpp"
#include "gemm.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// Below this many rows a weight gradient is staged rather than computed.
constexpr std::size_t kStageRows = 512;

// db += the column sums of G [rows, out]. Each thread sums a block of columns
// over all rows in row order, so the result does not depend on the thread
// count.
void add_column_sums(const real* G, std::size_t rows, std::size_t out, real* db) {
    parallel_for(out, std::max<std::size_t>(16, kElementGrain / std::max<std::size_t>(rows, 1)),
                 [&](std::size_t lo, std::size_t hi) {
                     for (std::size_t r = 0; r < rows; ++r)
                         for (std::size_t o = lo; o < hi; ++o) db[o] += G[r * out + o];
                 });
}

// Rows appended without first zero-filling them (as vector::resize would);
// the capacity is kept across backward walks.
struct RowBuffer {
    std::unique_ptr<real[]> data;
    std::size_t size = 0, capacity = 0;
    real* append(std::size_t n) {
        if (size + n > capacity) {
            const std::size_t cap = std::max(size + n, 2 * capacity);
            std::unique_ptr<real[]> bigger(new real[cap]);
            if (size) std::memcpy(bigger.get(), data.get(), size * sizeof(real));
            data = std::move(bigger);
            capacity = cap;
        }
        real* p = data.get() + size;
        size += n;
        return p;
    }
};

struct Staged {
    ImplPtr W, b;  // kept alive until the flush
    bool in_out = false;  // W laid out [in, out] (matmul's y = X W), else [out, in]
    std::size_t in = 0, out = 0, rows = 0;
    RowBuffer G, X;  // [rows, out], [rows, in]
    // db summed as the rows arrive, while they are in cache: summing the
    // staged G at the flush read it all from memory once more
    std::vector<real> db;
};
// Keyed by (weight, bias, layout): a weight shared with different biases, or
// used by both linear and matmul, stages apart.
using Key = std::tuple<TensorImpl*, TensorImpl*, bool>;
thread_local std::map<Key, Staged> t_staged;

void flush(Key key, bool completed) {
    Staged& s = t_staged.at(key);
    if (completed && s.rows) {
        TensorImpl& W = *s.W;
        const real beta = grad_beta(W);
        if (s.in_out)  // dW = X^T G
            gemm(true, false, s.in, s.out, s.rows, 1, s.X.data.get(), s.in, s.G.data.get(), s.out, beta,
                 W.grad.data(), s.out);
        else  // dW = G^T X
            gemm(true, false, s.out, s.in, s.rows, 1, s.G.data.get(), s.out, s.X.data.get(), s.in, beta,
                 W.grad.data(), s.in);
        if (s.b && s.b->requires_grad) {
            real* db = grad_buffer(*s.b).data();
            for (std::size_t o = 0; o < s.out; ++o) db[o] += s.db[o];
        }
    }
    s.rows = s.G.size = s.X.size = 0;
    s.W.reset();
    s.b.reset();
}

// Stages y's rows for W's (and b's) gradient at the walk's end. The rows
// are shared among the threads as the batch's other ops share them
// (so each reads rows its own core wrote); db, a sum over rows, is summed
// per block of kSumRows rows, the blocks then in order, so that it does not
// depend on the thread count.
constexpr std::size_t kSumRows = 16;
void stage(TensorImpl& y, const ImplPtr& W, const ImplPtr& b, std::size_t rows, std::size_t in, std::size_t out,
           bool in_out = false) {
    const Key key{W.get(), b.get(), in_out};
    Staged& s = t_staged[key];
    if (!s.W) {  // first contribution in this walk
        s.W = W;
        s.b = b;
        s.in_out = in_out;
        s.in = in;
        s.out = out;
        if (b && b->requires_grad) s.db.assign(out, real(0));
        at_walk_end([key](bool completed) { flush(key, completed); });
    }
    const real* g = y.grad.data();
    const real* x = y.inputs[0]->value.data();
    real* sg = s.G.append(rows * out);
    real* sx = s.X.append(rows * in);
    const bool bias = b && b->requires_grad;
    const std::size_t blocks = (rows + kSumRows - 1) / kSumRows;
    thread_local std::vector<real> partial;  // [blocks, out]
    if (bias) partial.assign(blocks * out, real(0));
    real* part_sums = partial.data();
    parallel_for(blocks, std::max<std::size_t>(1, rows_per_grain(out) / kSumRows), [&](std::size_t b0, std::size_t b1) {
        const std::size_t r0 = b0 * kSumRows, r1 = std::min(rows, b1 * kSumRows);
        std::memcpy(sg + r0 * out, g + r0 * out, (r1 - r0) * out * sizeof(real));
        std::memcpy(sx + r0 * in, x + r0 * in, (r1 - r0) * in * sizeof(real));
        if (bias)
            for (std::size_t r = r0; r < r1; ++r) {
                real* ps = part_sums + (r / kSumRows) * out;
                for (std::size_t o = 0; o < out; ++o) ps[o] += g[r * out + o];
            }
    });
    if (bias) {
        real* db = s.db.data();
        for (std::size_t k = 0; k < blocks; ++k)
            for (std::size_t o = 0; o < out; ++o) db[o] += part_sums[k * out + o];
    }
    s.rows += rows;
}

// The forward product of a batch-sized x -- a recurrent or a decoder step --
// runs 1.3-1.7x faster against W^T laid out [in, out] (OpenBLAS's unpacked
// NN kernel) than against W with a transpose flag: 32x128 by 128x512, 15
// instead of 25 us on two threads. Such a weight meets every step between
// two optimizer steps, so its transposed copy is made once and shared by the
// products of one graph: the nodes hold it, this cache only points at it. A
// copy serves again while a node of a live graph still holds it, the weight
// is the same tensor and no mutable_value() call came since. A backward walk
// lets go of the nodes, so the next step transposes the updated weight.
// Larger products lose: at hidden 512 (32x512 by 512x2048) a step was 3%
// slower, W and W^T (4 MB each) crowding each other out of the caches.
constexpr std::size_t kTransposedRows = 64;
constexpr double kTransposedMacs = 8e6;
struct Transposed {
    std::weak_ptr<TensorImpl> W;
    std::weak_ptr<const Array> WT;
    std::uint64_t writes = 0;
};
thread_local std::unordered_map<const TensorImpl*, Transposed> t_transposed;

std::shared_ptr<const Array> transposed_weight(const Tensor& W) {
    const ImplPtr& w = W.impl_ptr();
    const std::uint64_t writes = value_writes();
    Transposed& e = t_transposed[w.get()];
    if (auto wt = e.WT.lock(); wt && e.writes == writes && e.W.lock() == w) return wt;
    const std::size_t out = W.shape()[0], in = W.shape()[1];
    auto wt = std::make_shared<Array>(Array::from_shape({in, out}));
    const real* src = W.data();
    real* dst = wt->data();
    constexpr std::size_t kTile = 16;  // both sides' tile rows stay in L1
    for (std::size_t o0 = 0; o0 < out; o0 += kTile)
        for (std::size_t i0 = 0; i0 < in; i0 += kTile)
            for (std::size_t o = o0; o < std::min(out, o0 + kTile); ++o)
                for (std::size_t i = i0; i < std::min(in, i0 + kTile); ++i) dst[i * out + o] = src[o * in + i];
    e = Transposed{w, wt, writes};
    if (t_transposed.size() > 64)  // forget weights that are gone
        for (auto it = t_transposed.begin(); it != t_transposed.end();)
            it = it->second.W.expired() || it->second.WT.expired() ? t_transposed.erase(it) : std::next(it);
    return wt;
}

// y = x W^T + b; b may be undefined.
Tensor affine(const Tensor& x, const Tensor& W, const Tensor& b) {
    if (W.dim() != 2) fail("linear: weight must be [out, in], got {}", shape_str(W.shape()));
    if (x.dim() == 0 || x.shape().back() != W.shape()[1])
        fail("linear: input {} does not end in the weight's in-features {} (weight {})", shape_str(x.shape()),
             W.shape()[1], shape_str(W.shape()));
    const bool has_bias = b.defined();
    if (has_bias && (b.dim() != 1 || b.shape()[0] != W.shape()[0]))
        fail("linear: bias {} does not match the weight's out-features {} (weight {})", shape_str(b.shape()),
             W.shape()[0], shape_str(W.shape()));
    const std::size_t in = W.shape()[1], out = W.shape()[0], rows = x.numel() / in;
    Shape ys = x.shape();
    ys.back() = out;
    Array y = Array::from_shape(ys);
    // The GEMM accumulates onto the bias rows.
    real* yd = y.data();
    if (has_bias) {
        const real* bd = b.data();
        parallel_for(rows, rows_per_grain(out), [&](std::size_t lo, std::size_t hi) {
            for (std::size_t r = lo; r < hi; ++r) std::memcpy(yd + r * out, bd, out * sizeof(real));
        });
    }
    const std::shared_ptr<const Array> wt = detail::batch_transposed_weight(rows, W, needs_record({&x, &W, &b}));
    if (wt)
        gemm(false, false, rows, out, in, 1, x.data(), in, wt->data(), out, has_bias ? 1 : 0, yd, out);
    else
        gemm(false, true, rows, out, in, 1, x.data(), in, W.data(), in, has_bias ? 1 : 0, yd, out);

    // inputs: x, W, then b where given; `wt` only rides along (see
    // transposed_weight), nothing reads it
    auto backward = [rows, in, out, has_bias, wt](TensorImpl& y) {
        TensorImpl& X = *y.inputs[0];
        const ImplPtr& W = y.inputs[1];
        static const ImplPtr kNone;
        const ImplPtr& B = has_bias ? y.inputs[2] : kNone;  // a reference: no refcount traffic per step
        const real* g = y.grad.data();
        if (X.requires_grad) {  // grad_beta first: it may allocate X.grad
            const real beta = grad_beta(X);
            gemm(false, false, rows, in, out, 1, g, out, W->value.data(), in, beta, X.grad.data(), in);
        }
        // Staged only with a leaf bias too: a computed one must have its
        // gradient before the walk reaches its own node, not at the walk's end.
        if (W->requires_grad && W->is_leaf() && (!B || B->is_leaf()) && rows <= kStageRows) {
            stage(y, W, B, rows, in, out);  // dW and db at the end of the walk
        } else {
            if (W->requires_grad) {
                const real beta = grad_beta(*W);
                gemm(true, false, out, in, rows, 1, g, out, X.value.data(), in, beta, W->grad.data(), in);
            }
            if (B && B->requires_grad) add_column_sums(g, rows, out, grad_buffer(*B).data());
        }
    };
    if (has_bias) return record("linear", std::move(y), {x, W, b}, backward, reads_inputs(0b11));
    return record("linear", std::move(y), {x, W}, backward, reads_inputs(0b11));
}

}  // namespace

namespace detail {
std::shared_ptr<const Array> batch_transposed_weight(std::size_t rows, const Tensor& W, bool recorded) {
    if (recorded && rows <= kTransposedRows && double(rows) * double(W.numel()) <= kTransposedMacs && W.is_leaf())
        return transposed_weight(W);
    return nullptr;
}
bool stage_matmul_weight(TensorImpl& y, std::size_t rows, std::size_t in, std::size_t out) {
    const ImplPtr& W = y.inputs[1];
    if (!(W->requires_grad && W->is_leaf() && rows <= kStageRows)) return false;
    static const ImplPtr kNone;
    stage(y, W, kNone, rows, in, out, /*in_out=*/true);
    return true;
}
}  // namespace detail

Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b) { return affine(x, W, b); }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
