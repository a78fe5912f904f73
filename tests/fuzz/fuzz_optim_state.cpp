// SPDX-License-Identifier: MIT
// libFuzzer target: an optimizer's load_state. The input picks an optimizer
// and rewrites its state entry by entry -- drops one, changes its shape,
// overwrites its values with the input's bytes, adds a stray entry. Any
// input must end in a loaded state that steps and saves, or in a
// tapegrad::Error with the state unchanged -- never a crash or another
// exception type.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include <autograd/error.hpp>
#include <optim/adagrad.hpp>
#include <optim/adam.hpp>
#include <optim/rmsprop.hpp>
#include <optim/sgd.hpp>
#include <ops/arithmetic.hpp>
#include <ops/reduce.hpp>

using namespace tapegrad;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t pos = 0;
    auto byte = [&]() -> std::uint8_t { return pos < size ? data[pos++] : 0; };
    std::vector<Tensor> params{Tensor(Array::from_shape({2, 3}), true), Tensor(Array::from_shape({4}), true)};
    for (Tensor& p : params) p.mutable_value().fill(real(0.5));
    std::unique_ptr<optim::Optimizer> opt;
    switch (byte() % 4) {
        case 0: opt = std::make_unique<optim::Adam>(params); break;
        case 1: opt = std::make_unique<optim::SGD>(params, optim::SGDOptions{0.1, 0.9}); break;
        case 2: opt = std::make_unique<optim::RMSProp>(params); break;
        default: opt = std::make_unique<optim::Adagrad>(params); break;
    }
    const optim::StateDict before = opt->state();
    optim::StateDict s = before;
    for (auto it = s.begin(); it != s.end() && pos < size;) {
        const std::uint8_t op = byte() % 5;
        if (op == 1) {
            it = s.erase(it);
            continue;
        }
        if (op == 2) it->second = Array::from_shape({std::size_t(byte() % 7)});
        if (op == 2 || op == 3)
            for (real& v : it->second) {
                unsigned char b[sizeof(real)] = {};
                for (auto& c : b) c = byte();
                std::memcpy(&v, b, sizeof(real));
            }
        if (op == 4) s["stray." + std::to_string(byte())] = Array::from_shape({1});
        ++it;
    }
    try {
        opt->load_state(s);
    } catch (const Error&) {
        const optim::StateDict now = opt->state();  // a refused load changes nothing
        for (const auto& [k, v] : before)
            if (!(now.at(k) == v)) __builtin_trap();
        return 0;
    }
    for (Tensor& p : params) sum(p * p).backward();  // a gradient for step() to apply
    opt->step();
    (void)opt->state();
    return 0;
}
