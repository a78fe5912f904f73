// SPDX-License-Identifier: MIT
#include "anomaly.hpp"

#include <cstdlib>
#include <cstring>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
bool env_anomaly() {
    const char* v = std::getenv("TAPEGRAD_ANOMALY");
    return v && *v && std::strcmp(v, "0") != 0;
}
bool start_anomaly() {
    const bool on = env_anomaly();
    if (on) detail::observe_tape();
    return on;
}
// Every thread starts with what the environment says.
const bool g_anomaly_default = start_anomaly();
// Per thread, like grad mode: one thread debugging must not slow another,
// and a flag one thread writes while another records is a data race.
thread_local bool t_anomaly = g_anomaly_default;
// Per thread: the LabelScopes open on this thread name the ops it records.
thread_local std::string t_label;
}  // namespace

bool anomaly_mode() { return t_anomaly; }
void set_anomaly_mode(bool on) {
    if (on) detail::observe_tape();
    t_anomaly = on;
}

LabelScope::LabelScope(const std::string& label) : prev_size_(t_label.size()) {
    t_label += (t_label.empty() ? "" : "/") + label;
}
LabelScope::~LabelScope() { t_label.resize(prev_size_); }
const std::string& current_label() { return t_label; }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
