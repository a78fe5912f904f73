// SPDX-License-Identifier: MIT
#pragma once
// NumPy's .npz format (a zip archive of .npy arrays, stored uncompressed), so
// checkpoints open in NumPy with np.load and PyTorch weights exported with
// np.savez load here.

#include <map>
#include <string>

#include "../autograd/ids.hpp"
#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

using NamedArrays = std::map<std::string, Array>;

// An archive with its integer arrays kept integer: token ids, targets,
// lengths exported from NumPy (int32/int64) come back as Ids, exactly.
struct NpzContents {
    NamedArrays reals;               // float32 / float64 arrays
    std::map<std::string, Ids> ids;  // int32 / int64 arrays (saved as int64)
};

// Writes atomically: a temporary file beside `path` is written, flushed to
// disk and renamed over `path`, so an interrupted save leaves the previous
// file intact. Arrays are stored as little-endian float32 (float64 in the
// f64 flavour).
void save_npz(const std::string& path, const NamedArrays& arrays);
void save_npz(const std::string& path, const NpzContents& contents);

// Reads float32/float64/int32/int64 arrays. Every size, offset and checksum
// is validated: a damaged or foreign file gives an Error naming the file
// and what is wrong, never a crash or a huge allocation.
// read_npz keeps integer arrays integer; load_npz converts them to real
// too (for weights, where every array is floating point anyway).
NpzContents read_npz(const std::string& path);
NamedArrays load_npz(const std::string& path);
// The same from bytes in memory; `what` names the source in errors.
NpzContents parse_npz_contents(const std::string& bytes, const std::string& what);
NamedArrays parse_npz(const std::string& bytes, const std::string& what);

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
