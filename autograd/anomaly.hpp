// SPDX-License-Identifier: MIT
#pragma once
// Anomaly mode: find the first op that produces NaN or Inf.
//
// Off by default (it checks every value, which costs a pass per op). Turn it
// on with set_anomaly_mode(true), an AnomalyMode scope, or the environment
// variable TAPEGRAD_ANOMALY=1. Then the first op whose output (forward) or
// whose gradient for one of its inputs (backward) is not finite throws
// AnomalyError naming the op, its input shapes, its index on the tape, and
// the labels in force when it was created (LabelScope, Tensor::set_label).
//
// Per thread, like grad mode: set_anomaly_mode and AnomalyMode concern the
// calling thread; every thread starts as TAPEGRAD_ANOMALY says.

#include <string>

#include "error.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

struct AnomalyError : Error {
    using Error::Error;
};

bool anomaly_mode();
void set_anomaly_mode(bool on);

class AnomalyMode {
public:
    explicit AnomalyMode(bool on = true) : prev_(anomaly_mode()) { set_anomaly_mode(on); }
    ~AnomalyMode() { set_anomaly_mode(prev_); }
    AnomalyMode(const AnomalyMode&) = delete;
    AnomalyMode& operator=(const AnomalyMode&) = delete;

private:
    bool prev_;
};

// Names the ops created inside it ("decoder step 7"), for anomaly messages.
// Nested scopes join with '/'.
class LabelScope {
public:
    explicit LabelScope(const std::string& label);
    ~LabelScope();
    LabelScope(const LabelScope&) = delete;
    LabelScope& operator=(const LabelScope&) = delete;

private:
    std::size_t prev_size_;
};
const std::string& current_label();

namespace detail {
void observe_tape();  // attaches the profiler's and anomaly mode's observers (observe.cpp)
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
