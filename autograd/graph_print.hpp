// SPDX-License-Identifier: MIT
#pragma once
// Looking at the tape: every node reachable from a tensor, as text or as a
// Graphviz picture. Leaves (parameters, inputs) show their label if they have
// one (Tensor::set_label), otherwise their shape.
//
//   std::cout << tape_text(loss);
//   #0  leaf  W_xh  [4, 3]
//   #3  matmul      [1, 3]  <- #1 x_0, #0 W_xh
//   ...
//
// Nodes are numbered in creation order -- the order backward runs in reverse.

#include <string>

#include "tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

std::string tape_text(const Tensor& root);
// Graphviz DOT: `dot -Tsvg tape.dot -o tape.svg` draws it.
std::string tape_dot(const Tensor& root, const std::string& title = "");

// Number of tape nodes reachable from t (including t if it is not a leaf).
std::size_t graph_size(const Tensor& t);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
