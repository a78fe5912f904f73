// SPDX-License-Identifier: MIT
#pragma once
// Grad mode: while it is off, ops record nothing on the tape (inference,
// optimizer updates, evaluation loops).

#include "config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// RAII scope: grad mode on or off inside the braces, as it was after them.
class GradModeGuard {
public:
    explicit GradModeGuard(bool enabled) : prev_(is_grad_enabled()) { set_grad_enabled(enabled); }
    ~GradModeGuard() { set_grad_enabled(prev_); }
    GradModeGuard(const GradModeGuard&) = delete;
    GradModeGuard& operator=(const GradModeGuard&) = delete;

private:
    bool prev_;
};

// `{ NoGradGuard g; ... }` records nothing inside the braces.
class NoGradGuard : public GradModeGuard {
public:
    NoGradGuard() : GradModeGuard(false) {}
};

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
