#include "fused.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace fusion {

void shape_mismatch(const char* op, const std::vector<Tensor>& inputs) {
    std::string shapes;
    for (const Tensor& t : inputs) shapes += (shapes.empty() ? "" : ", ") + (t.defined() ? shape_str(t.shape()) : "undefined");
    fail("{}: a fused elementwise op needs inputs of one shape, got {}", op, shapes);
}

}  // namespace fusion
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
