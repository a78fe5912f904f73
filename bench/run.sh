#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bash bench/run.sh [run.py options]   -- builds in Release and runs the benchmark table
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_BENCH=ON > /dev/null
cmake --build build -j"$(nproc)" --target tapegrad_bench > /dev/null
exec /usr/bin/python3 bench/run.py "$@"
