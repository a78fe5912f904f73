// SPDX-License-Identifier: MIT
#include "value_release.hpp"

#include <atomic>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace value_release {

namespace {
std::atomic<bool> g_on{layer_default("TAPEGRAD_VALUE_RELEASE")};
}

void set_enabled(bool on) { g_on.store(on, std::memory_order_relaxed); }
bool enabled() { return g_on.load(std::memory_order_relaxed); }

void last_handle(TensorImpl& t) {
    // Still on the tape (a consumer's node holds it), but no backward reads
    // it. Leaves keep theirs: they are the parameters and the data.
    if (enabled() && t.op && !t.value_read && !t.graph_freed)
        std::decay_t<decltype(t.value.storage())>().swap(t.value.storage());
}

}  // namespace value_release
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
