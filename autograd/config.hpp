// SPDX-License-Identifier: MIT
#pragma once
// The scalar type is a compile-time choice. The library is built twice:
// tapegrad::tapegrad (float, for training) and tapegrad::tapegrad_f64 (double,
// for precise gradient checks). Each flavour lives in its own inline namespace
// so the two can never be mixed up at link time.

#include <cstddef>
#include <cstdint>
#include <new>
#include <xtensor/xarray.hpp>

#include "version.hpp"

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

// Buffers start on a cache line. Ops split a batch's rows between threads;
// a buffer at an arbitrary 16-byte offset would put the boundary between
// two threads' rows inside a cache line both of them write.
template <class T>
struct CacheLineAllocator {
    using value_type = T;
    static constexpr std::align_val_t kAlign{64};
    CacheLineAllocator() = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
    void deallocate(T* p, std::size_t) { ::operator delete(p, kAlign); }
    template <class U>
    bool operator==(const CacheLineAllocator<U>&) const { return true; }
    template <class U>
    bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};

// Every tensor value is a contiguous row-major array.
using Array = xt::xarray<real, xt::layout_type::row_major, CacheLineAllocator<real>>;
using Shape = Array::shape_type;
// Integer ids (token ids, class targets), any shape.
using Index = std::int64_t;
using IndexArray = xt::xarray<Index, xt::layout_type::row_major>;

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
