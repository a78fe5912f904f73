// SPDX-License-Identifier: MIT
#pragma once
// What the layers over the core attach to it. The core (tensor, record,
// backward) calls these at four moments and knows nothing else of the
// layers; each hook is empty until a layer fills it (speed/layers.cpp fills
// the defaults), and with every hook empty the core computes the same
// values and gradients, op by op.
//
//   a value not computed yet   Deferred, in TensorImpl::deferred; its first
//                              read calls compute_deferred (elementwise fusion)
//   a write to a leaf's value  before_write (fusion computes the pending
//                              values that read it; caches of it retire)
//   the program lets go        last_handle: the last Tensor to a node went
//                              (value release frees a value no backward reads)
//   end of a backward walk     at_walk_end() in backward.hpp (staged GEMMs)
//
// Debugging layers (the profiler, anomaly mode) watch the tape through
// `recorded` and `backward_done`.

#include <chrono>
#include <atomic>
#include <cstddef>
#include <mutex>

#include "config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

struct TensorImpl;
struct Input;

// A value a layer has not computed yet: the TensorImpl's value then has
// its shape and no buffer (shape_only in node.hpp). The layer's
// compute_deferred hook fills in the value (and the node) and clears the
// TensorImpl's `deferred` pointer.
struct Deferred {
    virtual ~Deferred() = default;
};

// Held while a deferred value is computed (Tensor::resolve), and by a layer
// reading another tensor's Deferred object, which computing it destroys.
std::recursive_mutex& deferred_mutex();

struct Hooks {
    void (*compute_deferred)(TensorImpl& t) = nullptr;
    void (*before_write)(TensorImpl& leaf) = nullptr;
    void (*last_handle)(TensorImpl& node) = nullptr;
    // Observers, set once a profiler or anomaly mode is first used
    // (autograd/observe.cpp); atomic, as that may happen while other
    // threads record. `mark` names the stretch of time just ended.
    using Recorded = void (*)(const char* op, TensorImpl& out, const Input* inputs, std::size_t n);
    using BackwardDone = void (*)(const TensorImpl& node, std::chrono::steady_clock::time_point start);
    using Mark = void (*)(const char* what);
    std::atomic<Recorded> recorded{nullptr};
    std::atomic<BackwardDone> backward_done{nullptr};
    std::atomic<Mark> mark{nullptr};
};

// The process's hooks, defined with the layers' defaults in speed/layers.cpp.
namespace detail {
extern Hooks g_hooks;
}
inline Hooks& hooks() { return detail::g_hooks; }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
