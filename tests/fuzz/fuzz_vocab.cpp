// SPDX-License-Identifier: MIT
// libFuzzer target: the vocabulary loader.
#include <cstdint>
#include <string>
#include <autograd/error.hpp>
#include <nn/npz.hpp>
#include <train/corpus.hpp>
#include <train/vocab.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        auto v = tapegrad::train::Vocab::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
        (void)v.decode(v.encode("some text 123"));
    } catch (const tapegrad::Error&) {
    }
    return 0;
}
