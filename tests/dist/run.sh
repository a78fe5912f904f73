#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh NP CASE PROGRAM: runs `PROGRAM CASE` on NP ranks and checks the outcome
#   equivalence, modes, unused_tied: every rank succeeds
#   throw, kill: the job fails, within 60 s, and names rank 1
#   mismatch: the job fails and every rank names the parameter and both shapes
#   small_batch: the job fails and every rank says why
set -uo pipefail
np=$1 case=$2 program=$3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
start=$(date +%s)
TAPEGRAD_DIST_ALL_PRINT=1 TAPEGRAD_NUM_THREADS=1 timeout 120 \
  mpirun --oversubscribe --allow-run-as-root -np "$np" "$program" "$case" > "$out" 2> "$err"
status=$?
took=$(( $(date +%s) - start ))
cat "$out"; cat "$err" >&2
fail() { echo "FAILED: $*" >&2; exit 1; }
case $case in
  equivalence|modes|unused_tied)
    [[ $status -eq 0 ]] || fail "exit status $status"
    [[ $(grep -c '^rank ' "$out") -eq $np ]] || fail "not every rank reported" ;;
  throw|kill)
    [[ $status -ne 0 && $status -ne 124 ]] || fail "exit status $status (124: the job hung until timeout)"
    (( took < 60 )) || fail "the job took $took s to end"
    if [[ $case == throw ]]; then grep -q "rank 1 fails at step 3" "$err" || fail "rank 1's error is not shown"; fi ;;
  mismatch)
    [[ $status -ne 0 && $status -ne 124 ]] || fail "exit status $status"
    n=$(grep -c "parameter 'lstm.weight_ih_l0' has shape \[28, 3\] on rank 1 but \[24, 3\] on rank 0" "$err")
    [[ $n -eq $np ]] || fail "$n of $np ranks named the parameter and its shapes" ;;
  small_batch)
    [[ $status -ne 0 && $status -ne 124 ]] || fail "exit status $status"
    n=$(grep -c "cannot be shared among $np ranks" "$err")
    [[ $n -eq $np ]] || fail "$n of $np ranks said why" ;;
esac
echo "ok: $case on $np ranks (exit $status, $took s)"
