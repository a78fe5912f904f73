// SPDX-License-Identifier: MIT
#pragma once
// Value release, a speed layer. A node stays on the tape until the backward
// walk, but its value is needed only while the program holds a Tensor to it
// or some backward function reads it (record() is told which: unread(x),
// Output::unread). When the program's last Tensor to a node goes and no
// backward reads its value -- the sum inside x W + h U, a gate
// pre-activation -- the buffer goes back to the allocator at once, to be
// reused while it is still in cache; the shape stays for the walk.
//
// On by default; set_enabled(false), or TAPEGRAD_VALUE_RELEASE=0 (or
// TAPEGRAD_SPEED=0), keeps every value until its node is freed.

#include "layers.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace value_release {

void set_enabled(bool on);
bool enabled();

// The core's last_handle hook: the program's last Tensor to `node` went.
void last_handle(TensorImpl& node);

}  // namespace value_release
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
