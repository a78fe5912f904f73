// SPDX-License-Identifier: MIT
#pragma once
// Gradient averaging for data-parallel training, as PyTorch's
// DistributedDataParallel and Horovod do it: the parameters are grouped in
// buckets (of at most bucket_bytes, in the reverse of their registration
// order, which is roughly the order backward finishes them), and each
// bucket's sum over the ranks starts as soon as every gradient in it is
// final -- while the walk goes on with the layers below. backward() returns
// once every bucket has arrived and been divided by the number of ranks.
//
//   dist::DataParallel ddp(model);   // rank 0's weights on every rank
//   ddp.backward(loss);              // loss.backward(), averaged
//   opt.step();
//
// Parameters the walk never reaches (unused in this step, or used only
// inside a checkpointed segment) are sent at the end, as zeros where they
// have no gradient; nobody waits for a gradient that never comes.

#include <unordered_map>

#include "../nn/module.hpp"
#include "world.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace dist {

// Every rank gets root's parameter values. The ranks' models must have the
// same parameters, names and shapes: if not, every rank throws the same
// ValueError, naming the first rank that differs, the parameter and both
// shapes.
void broadcast_parameters(nn::Module& model, World& w, int root = 0);

struct DataParallelOptions {
    std::size_t bucket_bytes = std::size_t(25) << 20;
    // false: every bucket after backward, one after another (for comparison)
    bool overlap = true;
};

class DataParallel {
public:
    explicit DataParallel(nn::Module& model, DataParallelOptions options = {});
    DataParallel(nn::Module& model, World& w, DataParallelOptions options = {});

    // loss.backward(), then every parameter's gradient the mean over the ranks.
    void backward(const Tensor& loss);

    std::size_t buckets() const { return buckets_.size(); }
    // The last backward(): seconds in all, and of those waiting for the sums
    // after the walk had ended.
    double last_backward_seconds() const { return backward_s_; }
    double last_wait_seconds() const { return wait_s_; }

private:
    struct Bucket {
        std::vector<std::size_t> params;  // indices into params_
        Array buffer;
        std::size_t pending = 0;
        bool started = false;
    };
    void start(Bucket& b);

    World& world_;
    DataParallelOptions options_;
    std::vector<Tensor> params_;
    std::vector<std::size_t> bucket_of_, offset_;  // per parameter
    std::unordered_map<const TensorImpl*, std::size_t> index_;  // a parameter's node -> its index
    std::vector<Bucket> buckets_;
    std::vector<World::Request> requests_;
    double backward_s_ = 0, wait_s_ = 0;
};

}  // namespace dist
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
