#pragma once
// Grad mode: while it is off, ops record nothing on the tape (inference,
// optimizer updates, evaluation loops).

#include "config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// RAII scope: `{ NoGradGuard g; ... }` records nothing inside the braces.
class NoGradGuard {
public:
    NoGradGuard() : prev_(is_grad_enabled()) { set_grad_enabled(false); }
    ~NoGradGuard() { set_grad_enabled(prev_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool prev_;
};

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
