// SPDX-License-Identifier: MIT
// The transposed-weight cache (see transposed_weight.hpp).
#include "transposed_weight.hpp"

#include <algorithm>
#include <atomic>
#include <unordered_map>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace transposed_weight {

namespace {
std::atomic<bool> g_on{layer_default("TAPEGRAD_TRANSPOSED_WEIGHT")};

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
// Per thread: no lock on the hot path; each thread's graphs share their own copies.
thread_local std::unordered_map<const TensorImpl*, Transposed> t_transposed;
// Writes through mutable_value() so far: a copy made before one is stale.
std::atomic<std::uint64_t> g_writes{0};

std::shared_ptr<const Array> transposed(const Tensor& W) {
    const ImplPtr& w = W.impl_ptr();
    const std::uint64_t writes = g_writes.load(std::memory_order_acquire);
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

}  // namespace

void set_enabled(bool on) { g_on.store(on, std::memory_order_relaxed); }
bool enabled() { return g_on.load(std::memory_order_relaxed); }

std::shared_ptr<const Array> of(const Tensor& W, std::size_t rows, bool recorded) {
    if (enabled() && recorded && rows <= kTransposedRows && double(rows) * double(W.numel()) <= kTransposedMacs &&
        W.is_leaf())
        return transposed(W);
    return nullptr;
}

void before_write(TensorImpl&) { g_writes.fetch_add(1, std::memory_order_acq_rel); }

}  // namespace transposed_weight
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
