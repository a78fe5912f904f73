#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check.sh find_package|pkg-config|add_subdirectory BUILD_DIR SOURCE_DIR [CXX_FLAGS]
# Builds tests/consumer against tapegrad in the given way and runs it twice:
# the second run resumes from the first one's checkpoint.
set -euo pipefail
mode=$1 build=$2 src=$3 flags=${4:-}
work="$build/consumer-$mode"
rm -rf "$work"
mkdir -p "$work"
if [[ $mode == find_package || $mode == pkg-config ]]; then
  cmake --install "$build" --prefix "$work/prefix" > /dev/null
fi
if [[ $mode == find_package ]]; then
  cmake -S "$src/tests/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" > /dev/null
  cmake --build "$work/build" -j2 --target consumer > /dev/null
  program="$work/build/consumer"
elif [[ $mode == pkg-config ]]; then
  # the installed .pc files, as a Makefile-based project would use them
  export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
  pkg-config --exists --print-errors tapegrad
  # shellcheck disable=SC2046
  g++ -std=c++17 -O2 $flags "$src/tests/consumer/main.cpp" -o "$work/consumer" $(pkg-config --cflags --libs tapegrad)
  program="$work/consumer"
else
  cmake -S "$src/tests/consumer" -B "$work/build" -DTAPEGRAD_SOURCE="$src" -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$work/build" -j2 --target consumer > /dev/null
  program="$work/build/consumer"
fi
"$program" "$work/next_token.npz"
"$program" "$work/next_token.npz" | tee "$work/second.txt"
grep -q "resumed after step 150" "$work/second.txt"
