// SPDX-License-Identifier: MIT
#include "grad_mode.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
// Per thread: one thread evaluating under NoGradGuard must not stop another
// thread's training from recording.
thread_local bool t_grad_enabled = true;
}  // namespace

bool is_grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
