#pragma once
// The scalar type is a compile-time choice. The library is built twice:
// tapegrad::tapegrad (float, for training) and tapegrad::tapegrad_f64 (double,
// for precise gradient checks). Each flavour lives in its own inline namespace
// so the two can never be mixed up at link time.

#include <cstdint>
#include <xtensor/xarray.hpp>

#ifdef TAPEGRAD_DOUBLE
#define TAPEGRAD_ABI_NAMESPACE f64
#else
#define TAPEGRAD_ABI_NAMESPACE f32
#endif

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

#ifdef TAPEGRAD_DOUBLE
using real = double;
#else
using real = float;
#endif

// Every tensor value is a contiguous row-major array.
using Array = xt::xarray<real, xt::layout_type::row_major>;
using Shape = Array::shape_type;
// Integer ids (token ids, class targets), any shape.
using Index = std::int64_t;
using IndexArray = xt::xarray<Index, xt::layout_type::row_major>;

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
