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
bool g_anomaly = env_anomaly();
thread_local std::string t_label;
}  // namespace

bool anomaly_mode() { return g_anomaly; }
void set_anomaly_mode(bool on) { g_anomaly = on; }

LabelScope::LabelScope(const std::string& label) : prev_size_(t_label.size()) {
    t_label += (t_label.empty() ? "" : "/") + label;
}
LabelScope::~LabelScope() { t_label.resize(prev_size_); }
const std::string& current_label() { return t_label; }

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
