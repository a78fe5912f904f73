// SPDX-License-Identifier: MIT
// libFuzzer target: the checkpoint loader. Any input must end in a parsed
// archive or a tapegrad::Error -- never a crash, a sanitizer report, another
// exception type, or an allocation beyond what the input's size justifies.
#include <cstdint>
#include <string>
#include <autograd/error.hpp>
#include <nn/npz.hpp>
#include <train/corpus.hpp>
#include <train/vocab.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        tapegrad::nn::parse_npz(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
    } catch (const tapegrad::Error&) {
    }
    return 0;
}
