#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/bootstrap.sh demo   install what is missing, build, run the main demo (date translation)
# tools/bootstrap.sh test   install what is missing, build, run the test suite
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-}
if [[ $what != demo && $what != test ]]; then
  echo "usage: tools/bootstrap.sh demo|test" >&2
  exit 2
fi

# Debian packages the build needs (python3-torch is only for regenerating
# test fixtures and for benchmarks, never for building or testing).
packages=(cmake make g++ libxtensor-dev libxtensor-blas-dev libxsimd-dev libopenblas-dev libfmt-dev libcli11-dev libutfcpp-dev)
# the test suite also runs under AddressSanitizer + UBSan, the thread pool under
# ThreadSanitizer (libtsan2), fuzzes with libFuzzer (clang), builds the API
# reference (doxygen), uses the installed package through pkg-config and
# checks the benchmark's oneDNN peer against tapegrad's LSTM (libdnnl-dev),
# and runs the data-parallel tests under mpirun (OpenMPI)
[[ $what == test ]] && packages+=(catch2 python3 clang libclang-rt-14-dev libtsan2 doxygen pkg-config libdnnl-dev
                                  libopenmpi-dev openmpi-bin)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
  else
    echo "tapegrad needs these Debian packages; install them as root and run this again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

jobs=$(nproc)
tests=$([[ $what == test ]] && echo ON || echo OFF)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_TESTS="$tests" > /dev/null
if [[ $what == demo ]]; then
  cmake --build build -j"$jobs" --target date_translation
  ./build/examples/date_translation
else
  cmake --build build -j"$jobs"
  ctest --test-dir build --output-on-failure -j"$jobs"
  # The unit tests again with every speed layer off: the core alone must
  # give the same values and gradients (each layer's own tests turn it on).
  TAPEGRAD_SPEED=0 ctest --test-dir build --output-on-failure -j"$jobs" -R "^tapegrad(_f64)?:"
  # The same suite under AddressSanitizer, UBSan and LeakSanitizer ...
  cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DTAPEGRAD_SANITIZE=ON -DTAPEGRAD_BUILD_TESTS=ON \
    -DTAPEGRAD_BUILD_BENCH=OFF > /dev/null
  cmake --build build-san -j"$jobs"
  # (training runs with thresholds are left to the optimised build: the same
  # code, but minutes long unoptimised; their smoke runs stay in)
  ctest --test-dir build-san --output-on-failure -j"$jobs" -E "^install" -LE slow
  # ... the thread pool, and training threads while the process-wide
  # switches flip, under ThreadSanitizer (a build of its own) ...
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_TSAN=ON -DTAPEGRAD_BUILD_TESTS=OFF \
    -DTAPEGRAD_BUILD_EXAMPLES=OFF -DTAPEGRAD_BUILD_BENCH=OFF > /dev/null
  cmake --build build-tsan -j"$jobs" --target pool_stress switch_stress
  ctest --test-dir build-tsan --output-on-failure -R "^tsan"
  # ... a build without MPI, where dist/ is a world of one process: the
  # data-parallel programs must run as before ...
  cmake -S . -B build-nompi -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_MPI=OFF -DTAPEGRAD_BUILD_TESTS=ON \
    -DTAPEGRAD_BUILD_BENCH=OFF > /dev/null
  cmake --build build-nompi -j"$jobs" --target dist_check date_translation char_lm translate
  ctest --test-dir build-nompi --output-on-failure -j"$jobs" \
    -R "^(dist: a world of one|example: (date_translation|char_lm|translate)|resume: (date_translation|char_lm|translate))"
  # ... and the libFuzzer targets for a bounded time each (clang).
  CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_FUZZ=ON -DTAPEGRAD_BUILD_TESTS=OFF \
    -DTAPEGRAD_BUILD_EXAMPLES=OFF -DTAPEGRAD_BUILD_BENCH=OFF > /dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzz_npz fuzz_vocab fuzz_tsv fuzz_optim_state
  ctest --test-dir build-fuzz --output-on-failure -j"$jobs" -R "^fuzz"
fi
