// SPDX-License-Identifier: MIT
#pragma once
// Saving and loading models (and optimizer state, for exact resume) as .npz.
//
//   save_checkpoint("run/ckpt.npz", model, &opt, {{"data", &data_gen}});  // atomic
//   load_checkpoint("run/ckpt.npz", model, &opt, {{"data", &data_gen}});  // all or nothing
//
// A checkpoint holds everything a run needs to go on exactly as if it had
// not stopped: the parameters ("model/<name>"), the optimizer's state
// ("optim/<key>"), and the state of every random generator the run draws
// from ("rng/<name>"): the model's own (dropout masks, named_generators()),
// the calling thread's default generator ("rng/default"), and any the
// program passes (its data shuffling, say). A load checks every entry
// before it changes anything: if it throws, the model, the optimizer and the
// generators are as they were.
//
// save_parameters/load_parameters use the bare parameter names, which for
// the built-in layers are PyTorch's state_dict names, so weights exported
// from PyTorch with np.savez load directly.

#include <string>
#include <utility>
#include <vector>

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

// The program's own generators, by name: [a-z0-9_.]+.
using Generators = std::vector<std::pair<std::string, Generator*>>;

void save_checkpoint(const std::string& path, const Module& m, const optim::Optimizer* opt = nullptr,
                     const Generators& generators = {});
// The generators passed and the model's must be those the checkpoint has.
void load_checkpoint(const std::string& path, Module& m, optim::Optimizer* opt = nullptr,
                     const Generators& generators = {});

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
