#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# resume_check.sh DIR CHECKPOINT HALF FULL PROGRAM ARGS...
# Runs PROGRAM for FULL steps straight, and for HALF steps then --resume to
# FULL. The two final checkpoints (model, optimizer, generators, counters)
# must be the same bytes, and the "step ..." lines the two runs print the
# same lines (timings aside).
set -euo pipefail
dir=$1 ckpt=$2 half=$3 full=$4 program=$5
shift 5
rm -rf "$dir" && mkdir -p "$dir"
"$program" "$@" --steps "$full" --out "$dir/straight" > "$dir/straight.txt"
"$program" "$@" --steps "$half" --out "$dir/resumed" > "$dir/first.txt"
"$program" "$@" --steps "$full" --out "$dir/resumed" --resume > "$dir/second.txt"
grep -q "resumed from .* after step $half" "$dir/second.txt" || { echo "the second run did not resume after step $half"; exit 1; }
steps() { grep -h '^step ' "$@" | sed 's/ *([0-9.]* s)$//'; }
if ! diff <(steps "$dir/straight.txt") <(steps "$dir/first.txt" "$dir/second.txt"); then
  echo "the step lines differ"
  exit 1
fi
cmp "$dir/straight/$ckpt" "$dir/resumed/$ckpt" || { echo "the final checkpoints differ"; exit 1; }
echo "resumed after step $half of $full: the same step lines and the same final checkpoint, byte for byte"
