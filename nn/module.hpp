// SPDX-License-Identifier: MIT
#pragma once
// Module: a named collection of parameters and submodules. Layers derive from
// it and write only forward code; gradients come from the tape.
//
// Parameters and submodules are registered explicitly, by pointer to the
// member, so a module is neither copyable nor movable (hold layers in
// std::unique_ptr when they must live in a container). Re-pointing a member
// handle (e.g. `out.weight = emb.weight` to tie weights) is seen by
// parameters() at once.

#include <string>
#include <utility>
#include <vector>

#include "../autograd/random.hpp"
#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

class Module {
public:
    Module() = default;
    virtual ~Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    // Every parameter of this module and its submodules, with dotted names
    // ("encoder.weight_ih_l0"). A tensor shared by several names (tied
    // weights) is listed once, under the first name.
    std::vector<std::pair<std::string, Tensor>> named_parameters() const;
    std::vector<Tensor> parameters() const;
    // The other names of tied parameters: (other name, the name
    // named_parameters() lists it under), e.g. ("out.weight", "emb.weight").
    std::vector<std::pair<std::string, std::string>> tied_names() const;
    std::size_t num_parameters() const;  // scalar count
    // Every random generator this module and its submodules draw from while
    // training (dropout masks), with dotted names: checkpoints carry their
    // state, so a resumed run draws the masks the straight run would.
    std::vector<std::pair<std::string, Generator*>> named_generators() const;

    // Training mode switches dropout on; evaluation mode off. Recursive.
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

    void zero_grad();

protected:
    // A trainable tensor held in a member; sets requires_grad.
    void register_parameter(std::string name, Tensor& member);
    void register_module(std::string name, Module& member);
    // A generator held in a member, drawn from during training.
    void register_generator(std::string name, Generator& member);
    // Lists a submodule's parameters as this module's own, each name with a
    // suffix ("weight_ih" + "_l0" -> "weight_ih_l0"): how the sequence layers
    // get PyTorch's state_dict names. train()/eval() still reach the child.
    void adopt_parameters(Module& child, const std::string& suffix);

private:
    void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor*>>& out) const;

    std::vector<std::pair<std::string, Tensor*>> params_;
    std::vector<std::pair<std::string, Generator*>> generators_;
    struct Child {
        std::string name;
        Module* module;
        bool adopted;        // parameters already listed under this module's names ...
        std::string suffix;  // ... each with this suffix
    };
    std::vector<Child> children_;
    bool training_ = true;
};

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
