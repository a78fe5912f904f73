// SPDX-License-Identifier: MIT
// Data-parallel training checks, run under mpirun by tests/dist/run.sh:
//   dist_check equivalence   N ranks on B/N examples each = one process on B, after 10 Adam steps
//   dist_check modes         bucketed-overlapped and plain reduction give the same parameters
//   dist_check unused_tied   an unused parameter and tied weights: no hang, the ranks agree
//   dist_check throw|kill    rank 1 throws / dies (SIGKILL) at step 3: the job ends, bounded
//   dist_check mismatch      rank 1's model differs: every rank names the parameter and shapes
//   dist_check small_batch   more ranks than examples: every rank says so
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include <dist/data_parallel.hpp>
#include <tapegrad_train.hpp>

using namespace tapegrad;

namespace {
constexpr std::size_t kBatch = 8, kT = 5, kIn = 3, kHidden = 6;

struct Net : nn::Module {
    nn::LSTM lstm;
    nn::Linear head, spare;  // spare: never used (with --unused)
    nn::Embedding tied_in;   // with --tied, head.weight is this table
    Net(std::size_t H, bool tied, Generator& g)
        : lstm(kIn, H, nn::RecurrentOptions(), false, g), head(H, 4, true, g), spare(2, 2, true, g),
          tied_in(4, H, -1, g) {
        if (tied) head.weight = tied_in.weight;
        register_module("lstm", lstm);
        register_module("head", head);
        register_module("spare", spare);
        register_module("tied_in", tied_in);
    }
    // mean loss over examples [lo, hi) of the batch
    Tensor loss(const Array& x, const Ids& y, std::size_t lo, std::size_t hi, bool use_tied) {
        Array xs = Array::from_shape({kT, hi - lo, kIn});
        Ids ys = Ids::zeros({hi - lo});
        for (std::size_t t = 0; t < kT; ++t)
            for (std::size_t b = lo; b < hi; ++b) {
                for (std::size_t f = 0; f < kIn; ++f) xs(t, b - lo, f) = x(t, b, f);
                ys(b - lo) = y(b);
            }
        Tensor h = select(lstm(Tensor(xs)).output, kT - 1);
        if (use_tied) h = h + sum(tied_in(Ids::zeros({hi - lo})), 1, true) * real(0.01);
        return cross_entropy(head(h), ys);
    }
};

// the batch of step s, the same on every rank
std::pair<Array, Ids> batch(std::size_t s) {
    Generator g(100 + s);
    Array x = rand_uniform(make_shape({kT, kBatch, kIn}), -1, 1, g).value();
    Ids y = Ids::zeros({kBatch});
    for (std::size_t b = 0; b < kBatch; ++b) y(b) = Index(g.next() % 4);
    return {x, y};
}

std::vector<Array> values(const nn::Module& m) {
    std::vector<Array> v;
    for (const Tensor& p : m.parameters()) v.push_back(p.value());
    return v;
}

double largest_difference(const std::vector<Array>& a, const std::vector<Array>& b) {
    double worst = 0;
    for (std::size_t k = 0; k < a.size(); ++k)
        for (std::size_t i = 0; i < a[k].size(); ++i)
            worst = std::max(worst, std::abs(double(a[k].data()[i]) - double(b[k].data()[i])) /
                                        (1 + std::abs(double(b[k].data()[i]))));
    return worst;
}

// 10 Adam steps of data-parallel training; returns the parameters
std::vector<Array> train_parallel(dist::World& w, dist::DataParallelOptions o, bool tied, bool unused,
                                  const char* fault = nullptr) {
    Generator g(1 + std::uint64_t(w.rank()));  // each rank starts elsewhere: DataParallel takes rank 0's
    Net net(kHidden, tied, g);
    dist::DataParallel ddp(net, w, o);
    optim::Adam opt(net.parameters(), real(0.05));
    const auto [lo, hi] = dist::shard(kBatch, w);
    for (std::size_t s = 0; s < 10; ++s) {
        if (fault && s == 3 && w.rank() == 1) {
            if (std::strcmp(fault, "kill") == 0) std::raise(SIGKILL);
            fail<ValueError>("dist_check: rank 1 fails at step 3, as asked");
        }
        auto [x, y] = batch(s);
        opt.zero_grad();
        ddp.backward(net.loss(x, y, lo, hi, tied));
        opt.step();
    }
    (void)unused;
    return values(net);
}

// the same 10 steps in one process over the whole batch
std::vector<Array> train_alone(bool tied) {
    Generator g(1);
    Net net(kHidden, tied, g);
    optim::Adam opt(net.parameters(), real(0.05));
    for (std::size_t s = 0; s < 10; ++s) {
        auto [x, y] = batch(s);
        opt.zero_grad();
        net.loss(x, y, 0, kBatch, tied).backward();
        opt.step();
    }
    return values(net);
}

// the ranks hold the same numbers, bit for bit
bool ranks_agree(dist::World& w, const std::vector<Array>& v) {
    double sum = 0;
    for (const Array& a : v)
        for (std::size_t i = 0; i < a.size(); ++i) sum += double(a.data()[i]) * double(1 + i % 7);
    return w.min(sum) == w.max(sum);
}

int run(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "";
    dist::World& w = dist::world();
    w.set_timeout_seconds(30);
    if (what == "equivalence") {
        // float32 sums of the same numbers in another order differ in the
        // last bits, and Adam's g / (sqrt(v) + eps) carries that on; over 10
        // steps the parameters agree to ~1e-6 in float and ~1e-14 in double
        const double tol = sizeof(real) == 8 ? 1e-10 : 1e-4;
        const double d = largest_difference(train_parallel(w, {}, false, false), train_alone(false));
        std::printf("rank %d: %d ranks on %zu examples each vs one process on %zu: largest difference %.3g (tolerance %g)\n",
                    w.rank(), w.size(), kBatch / std::size_t(w.size()), kBatch, d, tol);
        return d <= tol ? 0 : 1;
    }
    if (what == "modes") {
        dist::DataParallelOptions tiny;
        tiny.bucket_bytes = 64;  // many buckets, started in the walk's order
        dist::DataParallelOptions plain;
        plain.overlap = false;
        const auto a = train_parallel(w, tiny, false, false), b = train_parallel(w, plain, false, false);
        const double d = largest_difference(a, b);
        std::printf("rank %d: overlapped (many buckets) vs plain: largest difference %.3g\n", w.rank(), d);
        return d == 0 && ranks_agree(w, a) ? 0 : 1;
    }
    if (what == "unused_tied") {
        dist::DataParallelOptions tiny;
        tiny.bucket_bytes = 64;
        const auto v = train_parallel(w, tiny, true, true);
        const bool agree = ranks_agree(w, v);
        const double d = largest_difference(v, train_alone(true));
        std::printf("rank %d: unused and tied parameters: ranks agree %d, vs one process %.3g\n", w.rank(), agree, d);
        return agree && d <= (sizeof(real) == 8 ? 1e-10 : 1e-4) ? 0 : 1;
    }
    if (what == "throw" || what == "kill") {
        train_parallel(w, {}, false, false, what.c_str());
        return 0;
    }
    if (what == "mismatch") {
        Generator g(1);
        Net net(w.rank() == 1 ? kHidden + 1 : kHidden, false, g);
        dist::DataParallel ddp(net, w);
        return 0;
    }
    if (what == "small_batch") {
        dist::shard(std::size_t(w.size()) - 1, w);
        return 0;
    }
    std::fprintf(stderr, "usage: dist_check equivalence|modes|unused_tied|throw|kill|mismatch|small_batch\n");
    return 2;
}
}  // namespace

int main(int argc, char** argv) { return dist::main("dist_check", run, argc, argv); }
