// SPDX-License-Identifier: MIT
// libFuzzer target: the parallel-corpus (TSV) reader and the UTF-8 check.
#include <cstdint>
#include <string>
#include <autograd/error.hpp>
#include <nn/npz.hpp>
#include <train/corpus.hpp>
#include <train/vocab.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        tapegrad::train::parse_parallel_tsv(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
    } catch (const tapegrad::Error&) {
    }
    return 0;
}
