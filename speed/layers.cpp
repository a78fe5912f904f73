// The speed layers attached to the core: the hooks' defaults, and the
// switches for all layers at once.
#include "layers.hpp"

#include <cstdlib>
#include <cstring>

#include "fusion.hpp"
#include "parallel.hpp"
#include "staged_gemm.hpp"
#include "transposed_weight.hpp"
#include "value_release.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
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

bool layer_default(const char* env) {
    for (const char* name : {env, "TAPEGRAD_SPEED"}) {
        const char* v = std::getenv(name);
        if (v && std::strcmp(v, "0") == 0) return false;
    }
    return true;
}

void set_speed_layers(bool on) {
    set_elementwise_fusion(on);
    staged::set_enabled(on);
    transposed_weight::set_enabled(on);
    value_release::set_enabled(on);
    set_num_threads(on ? default_num_threads() : 1);
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
