# SPDX-License-Identifier: MIT
# TAPEGRAD_NATIVE_FLAGS: -march=native, unless the compiler miscompiles code
# for this CPU. GCC 12.2 with AVX-512 turns the constant {1, 0, 1, 0, 0, 0,
# 0, 0} into a broadcast of its first 64 bits ({1, 0, 1, 0, 1, 0, 1, 0}):
# a silent wrong value in any code that builds such a vector (a test's mask,
# a user's table). Where that happens, AVX-512 is left out.
include(CheckCXXSourceRuns)
set(TAPEGRAD_NATIVE_FLAGS -march=native)
set(CMAKE_REQUIRED_FLAGS "-O2 -march=native")
check_cxx_source_runs([=[
#include <vector>
__attribute__((noinline)) int wrong(const std::vector<float>& v) {
    const float expect[8] = {1, 0, 1, 0, 0, 0, 0, 0};
    int n = 0;
    for (int i = 0; i < 8; ++i) n += v[i] != expect[i];
    return n;
}
int main() {
    int n = 0;
    for (float scale : {1e3f, 1e9f}) {
        std::vector<float> v{1, 0, 1, 0, 0, 0, 0, 0};
        n += wrong(v) + (scale == 0);
    }
    return n;
}
]=] TAPEGRAD_NATIVE_CONSTANTS_RIGHT)
unset(CMAKE_REQUIRED_FLAGS)
if(NOT TAPEGRAD_NATIVE_CONSTANTS_RIGHT)
  message(STATUS "tapegrad: ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} miscompiles vector constants "
                 "with -march=native on this CPU (AVX-512); building with -mno-avx512f")
  list(APPEND TAPEGRAD_NATIVE_FLAGS -mno-avx512f)
endif()
