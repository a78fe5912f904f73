// SPDX-License-Identifier: MIT
// Staged weight gradients (see staged_gemm.hpp).
#include "staged_gemm.hpp"

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "../autograd/backward.hpp"
#include "../autograd/record.hpp"
#include "../ops/gemm.hpp"
#include "parallel.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace staged {

namespace {
// Below this many rows a weight gradient is staged rather than computed.
constexpr std::size_t kStageRows = 512;
std::atomic<bool> g_on{layer_default("TAPEGRAD_STAGED_GEMM", kOnByDefault)};
}  // namespace

void set_enabled(bool on) { g_on.store(on, std::memory_order_relaxed); }
bool enabled() { return g_on.load(std::memory_order_relaxed); }

namespace {
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
// Per thread: a backward walk runs on one thread, and this is its staging.
thread_local std::map<Key, Staged> t_staged;

void flush(Key key, bool completed) {
    Staged& s = t_staged.at(key);
    if (completed && s.rows) {
        TensorImpl& W = *s.W;
        const GradBuffer dW = grad_into(W);
        if (s.in_out)  // dW = X^T G
            gemm(true, false, s.in, s.out, s.rows, 1, s.X.data.get(), s.in, s.G.data.get(), s.out, dW.beta, dW.data,
                 s.out);
        else  // dW = G^T X
            gemm(true, false, s.out, s.in, s.rows, 1, s.G.data.get(), s.out, s.X.data.get(), s.in, dW.beta, dW.data,
                 s.in);
        if (s.b && s.b->requires_grad) {
            real* db = grad_into(*s.b, true).data;
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
}  // namespace

bool stage(const real* g, const real* x, const ImplPtr& W, const ImplPtr& b, std::size_t rows, std::size_t in,
           std::size_t out, bool in_out) {
    if (!enabled() || !W->requires_grad || !W->is_leaf() || (b && !b->is_leaf()) || rows > kStageRows) return false;
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
    real* sg = s.G.append(rows * out);
    real* sx = s.X.append(rows * in);
    const bool bias = b && b->requires_grad;
    const std::size_t blocks = (rows + kSumRows - 1) / kSumRows;
    thread_local std::vector<real> partial;  // [blocks, out]; per thread, as t_staged
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
    return true;
}


}  // namespace staged
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
