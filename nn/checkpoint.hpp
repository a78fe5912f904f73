#pragma once
// Saving and loading models (and optimizer state, for exact resume) as .npz.
//
//   save_checkpoint("run/ckpt.npz", model, &opt);   // atomic
//   load_checkpoint("run/ckpt.npz", model, &opt);   // same model, same optimizer kind
//
// In the file, parameters are "model/<name>" and optimizer entries
// "optim/<key>"; save_parameters/load_parameters use the bare parameter
// names, which for the built-in layers are PyTorch's state_dict names, so
// weights exported from PyTorch with np.savez load directly.

#include <string>

#include "../optim/optimizer.hpp"
#include "module.hpp"
#include "npz.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

NamedArrays state_dict(const Module& m);
// Copies values into the module's parameters. Throws (before changing
// anything) naming every missing, unexpected or wrongly shaped entry; with
// strict = false, unexpected entries are ignored.
void load_state_dict(Module& m, const NamedArrays& arrays, bool strict = true);

void save_parameters(const std::string& path, const Module& m);
void load_parameters(const std::string& path, Module& m, bool strict = true);

void save_checkpoint(const std::string& path, const Module& m, const optim::Optimizer* opt = nullptr);
void load_checkpoint(const std::string& path, Module& m, optim::Optimizer* opt = nullptr);

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
