// SPDX-License-Identifier: MIT
#pragma once
// Saving and loading models (and optimizer state, for exact resume) as .npz.
//
//   nn::RunState run{{{"data", &data_gen}}};      // the program's generators ...
//   run.counters["step"] = step;                   // ... and where it is
//   save_checkpoint("run/ckpt.npz", model, &opt, run);   // atomic
//   load_checkpoint("run/ckpt.npz", model, &opt, run);   // all or nothing; run.counters["step"] is back
//
// A checkpoint holds everything a run needs to go on exactly as if it had
// not stopped: the parameters ("model/<name>"), the optimizer's state
// ("optim/<key>"), and the state of every random generator the run draws
// from ("rng/<name>"): the model's own (dropout masks, named_generators()),
// the calling thread's default generator ("rng/default"), and any the
// program passes (its data shuffling, say) -- and the program's own
// counters ("meta/step", "meta/epoch", a position in the data) and named
// arrays ("value/<name>"). A load checks every entry
// before it changes anything: if it throws, the model, the optimizer and the
// generators are as they were.
//
// save_parameters/load_parameters use the bare parameter names, which for
// the built-in layers are PyTorch's state_dict names, so weights exported
// from PyTorch with np.savez load directly.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../optim/optimizer.hpp"
#include "module.hpp"
#include "npz.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

// A tied parameter (out.weight = emb.weight) has several names. Once: the
// first name only, as named_parameters() lists it. Every: each name, as
// PyTorch's state_dict lists a shared tensor, so the file loads strictly
// into the PyTorch model.
enum class TiedNames { Once, Every };

NamedArrays state_dict(const Module& m, TiedNames tied = TiedNames::Once);
// Copies values into the module's parameters. Throws (before changing
// anything) naming every missing, unexpected or wrongly shaped entry; with
// strict = false, unexpected entries are ignored. An entry under another
// name of a tied parameter is expected: it must equal the entry under the
// listed name (else an error names both), or stands in for it if that is
// absent.
void load_state_dict(Module& m, const NamedArrays& arrays, bool strict = true);

void save_parameters(const std::string& path, const Module& m, TiedNames tied = TiedNames::Once);
void load_parameters(const std::string& path, Module& m, bool strict = true);

// The program's own generators, by name: [a-z0-9_.]+.
using Generators = std::vector<std::pair<std::string, Generator*>>;

// What a training program keeps beside its model and optimizer.
struct RunState {
    // Saved, and restored in place on load; the checkpoint must have each.
    Generators generators;
    // Whole numbers, saved exactly (the step, the epoch, a data position);
    // replaced by the checkpoint's on load. Names: [a-z0-9_.]+.
    std::map<std::string, std::int64_t> counters;
    // Any other named arrays; replaced by the checkpoint's on load.
    NamedArrays values;

    // counters.at(name), with an error that says which checkpoint lacks it.
    std::int64_t counter(const std::string& name) const;
};

void save_checkpoint(const std::string& path, const Module& m, const optim::Optimizer* opt = nullptr,
                     const RunState& run = {});
// run's generators and the model's must be those the checkpoint has; its
// counters and values become the checkpoint's.
void load_checkpoint(const std::string& path, Module& m, optim::Optimizer* opt, RunState& run);
void load_checkpoint(const std::string& path, Module& m, optim::Optimizer* opt = nullptr);

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
