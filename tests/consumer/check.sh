#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check.sh find_package|add_subdirectory BUILD_DIR SOURCE_DIR [CXX_FLAGS]
# Builds tests/consumer against tapegrad in the given way and runs it.
set -euo pipefail
mode=$1 build=$2 src=$3 flags=${4:-}
work="$build/consumer-$mode"
rm -rf "$work"
if [[ $mode == find_package ]]; then
  cmake --install "$build" --prefix "$work/prefix" > /dev/null
  cmake -S "$src/tests/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" > /dev/null
else
  cmake -S "$src/tests/consumer" -B "$work/build" -DTAPEGRAD_SOURCE="$src" -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
cmake --build "$work/build" -j2 --target consumer > /dev/null
"$work/build/consumer"
