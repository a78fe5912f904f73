// SPDX-License-Identifier: MIT
// The speed layers attached to the core: the hooks' defaults, and the
// switches for all layers at once.
#include "layers.hpp"

#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "fusion.hpp"
#include "parallel.hpp"
#include "staged_gemm.hpp"
#include "transposed_weight.hpp"
#include "value_release.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// Every op writes a fresh buffer and a training step frees them all at the
// end, so glibc's defaults -- give a freed heap top back to the kernel once
// it passes a few MB, map large buffers afresh each time -- page-fault the
// same memory in again on every step (hundreds of faults a step; a user LSTM
// cell at hidden 128 ran 7% faster without them). Keep freed memory for
// reuse instead, as a caching allocator would. Skipped if the program sets
// MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_ itself, or with
// TAPEGRAD_KEEP_FREED_MEMORY=0 (or TAPEGRAD_SPEED=0).
bool keep_freed_memory() {
#if defined(__GLIBC__)
    if (!layer_default("TAPEGRAD_KEEP_FREED_MEMORY") || std::getenv("MALLOC_TRIM_THRESHOLD_") ||
        std::getenv("MALLOC_MMAP_THRESHOLD_"))
        return false;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest; bigger buffers are still mapped
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    return true;
#else
    return false;
#endif
}
[[maybe_unused]] const bool g_keeps_freed_memory = keep_freed_memory();

// A leaf is about to be written: fusion computes the pending values that
// read it, and the transposed copies made before the write retire.
void before_write(TensorImpl& leaf) {
    fusion::before_write(leaf);
    transposed_weight::before_write(leaf);
}
}  // namespace

namespace detail {
// Constant-initialised (only addresses of functions), so set before any
// code runs, static initialisers included.
Hooks g_hooks{&fusion::compute_deferred, &before_write, &value_release::last_handle};
}  // namespace detail

bool layer_default(const char* env, bool on) {
    if (const char* all = std::getenv("TAPEGRAD_SPEED"); all && std::strcmp(all, "0") == 0) return false;
    const char* v = std::getenv(env);
    if (v && std::strcmp(v, "0") == 0) return false;
    if (v && std::strcmp(v, "1") == 0) return true;
    return on;
}

void set_speed_layers(bool on) {
    set_elementwise_fusion(on);
    staged::set_enabled(on && staged::kOnByDefault);
    transposed_weight::set_enabled(on);
    value_release::set_enabled(on);
    set_num_threads(on ? default_num_threads() : 1);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
