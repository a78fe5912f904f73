// SPDX-License-Identifier: MIT
#include "data_parallel.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "../autograd/backward.hpp"
#include "../autograd/record.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace dist {

namespace {
std::string signature(const nn::Module& m) {
    std::string s;
    for (const auto& [name, p] : m.named_parameters()) s += name + " " + shape_str(p.shape()) + "\n";
    return s;
}
std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t a = 0;
    for (std::size_t b; (b = s.find('\n', a)) != std::string::npos; a = b + 1) out.push_back(s.substr(a, b - a));
    return out;
}
// What differs between this rank's parameters and root's, in words ("" if nothing).
std::string difference(const std::string& mine, const std::string& roots, int rank, int root) {
    const auto a = lines(mine), b = lines(roots);
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        if (i < a.size() && i < b.size() && a[i] == b[i]) continue;
        auto name = [](const std::string& l) { return l.substr(0, l.find(' ')); };
        auto shape = [](const std::string& l) { return l.substr(l.find(' ') + 1); };
        if (i >= a.size())
            return fmt::format("rank {} has no parameter '{}' (rank {}: shape {})", rank, name(b[i]), root, shape(b[i]));
        if (i >= b.size())
            return fmt::format("rank {} has a parameter '{}' (shape {}) that rank {} has not", rank, name(a[i]),
                               shape(a[i]), root);
        if (name(a[i]) != name(b[i]))
            return fmt::format("parameter {} is '{}' on rank {} but '{}' on rank {}", i, name(a[i]), rank,
                               name(b[i]), root);
        return fmt::format("parameter '{}' has shape {} on rank {} but {} on rank {}", name(a[i]), shape(a[i]), rank,
                           shape(b[i]), root);
    }
    return "";
}
}  // namespace

void broadcast_parameters(nn::Module& model, World& w, int root) {
    const std::string mine = signature(model);
    std::string roots = mine;
    w.broadcast(roots, root);
    const std::string diff = difference(mine, roots, w.rank(), root);
    // the first rank that differs tells every rank what it found
    const int first = int(w.min(diff.empty() ? w.size() : w.rank()));
    if (first < w.size()) {
        std::string message = diff;
        w.broadcast(message, first);
        fail<ValueError>("broadcast_parameters: the ranks' models differ: {}", message);
    }
    for (Tensor p : model.parameters()) w.broadcast(p.mutable_value().data(), p.numel(), root);
}

DataParallel::DataParallel(nn::Module& model, DataParallelOptions options)
    : DataParallel(model, world(), options) {}

DataParallel::DataParallel(nn::Module& model, World& w, DataParallelOptions options)
    : world_(w), options_(options), params_(model.parameters()) {
    broadcast_parameters(model, w);
    bucket_of_.resize(params_.size());
    offset_.resize(params_.size());
    // later parameters first: their gradients are final first
    for (std::size_t k = params_.size(); k-- > 0;) {
        const std::size_t bytes = params_[k].numel() * sizeof(real);
        if (buckets_.empty() ||
            (buckets_.back().buffer.size() * sizeof(real) + bytes > options_.bucket_bytes && !buckets_.back().params.empty()))
            buckets_.push_back({{}, Array::from_shape({0}), 0, false});
        Bucket& b = buckets_.back();
        bucket_of_[k] = buckets_.size() - 1;
        offset_[k] = b.buffer.size();
        b.params.push_back(k);
        b.buffer = Array::from_shape({offset_[k] + params_[k].numel()});
        index_[params_[k].impl()] = k;
    }
}

// Gradients into the bucket's buffer (zeros for a parameter without one),
// and its sum over the ranks started.
void DataParallel::start(Bucket& b) {
    for (std::size_t k : b.params) {
        real* dst = b.buffer.data() + offset_[k];
        const std::size_t n = params_[k].numel();
        if (params_[k].has_grad()) std::memcpy(dst, params_[k].grad().data(), n * sizeof(real));
        else std::fill(dst, dst + n, real(0));
    }
    b.started = true;
    requests_.push_back(world_.start_sum(b.buffer.data(), b.buffer.size()));
}

void DataParallel::backward(const Tensor& loss) {
    const auto t0 = std::chrono::steady_clock::now();
    if (world_.size() == 1) {  // nothing to average
        loss.backward();
        backward_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        wait_s_ = 0;
        return;
    }
    requests_.clear();
    for (Bucket& b : buckets_) b.pending = b.params.size(), b.started = false;
    if (options_.overlap) {
        GradFinalGuard guard([&](TensorImpl& leaf) {
            auto it = index_.find(&leaf);
            if (it == index_.end()) return;  // a leaf that is not a parameter (an input)
            Bucket& b = buckets_[bucket_of_[it->second]];
            if (--b.pending == 0) start(b);
            world_.poll(requests_);  // MPI moves non-blocking sums along only inside its calls
        });
        loss.backward();
    } else {
        loss.backward();
    }
    const auto t1 = std::chrono::steady_clock::now();
    for (Bucket& b : buckets_)
        if (!b.started) start(b);  // unused parameters, and everything in the plain mode
    world_.wait(requests_, "the gradient sums");
    const auto t2 = std::chrono::steady_clock::now();
    const real inv = real(1) / real(world_.size());
    for (Bucket& b : buckets_)
        for (std::size_t k : b.params) {  // the mean replaces this rank's gradient, in its own buffer
            TensorImpl& p = *params_[k].impl();
            const real* src = b.buffer.data() + offset_[k];
            real* dst = p.has_grad ? p.grad.data() : grad_into(p).data;  // (a new buffer: written whole)
            for (std::size_t i = 0, n = params_[k].numel(); i < n; ++i) dst[i] = src[i] * inv;
        }
    wait_s_ = std::chrono::duration<double>(t2 - t1).count();
    backward_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dist
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
