// SPDX-License-Identifier: MIT
#pragma once
// Exception types. Every message names the operation and the offending
// shapes or values, e.g. "matmul: inner dimensions differ: [2, 3] @ [4, 5]".

#include <stdexcept>
#include <string>
#include <fmt/format.h>

#include "config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Base of everything tapegrad throws on bad input or misuse.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Shapes that do not fit the operation.
struct ShapeError : Error {
    using Error::Error;
};
// Values out of range: token ids, axes, probabilities, sizes.
struct ValueError : Error {
    using Error::Error;
};
// Misuse of the tape: backward twice through a freed graph, backward on a
// tensor that does not require grad, and so on.
struct GraphError : Error {
    using Error::Error;
};

// "[2, 3]" -- the way every message prints a shape.
std::string shape_str(const Shape& s);

template <class E = ShapeError, class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
    throw E(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
