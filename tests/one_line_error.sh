#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# one_line_error.sh STATUS TEXT PROGRAM ARGS...: PROGRAM must exit with
# STATUS and write exactly one line to stderr, containing TEXT (and no
# "terminate called", no sanitizer report).
set -u
want=$1 text=$2
shift 2
err=$(mktemp)
"$@" > /dev/null 2> "$err"
got=$?
lines=$(wc -l < "$err")
ok=1
[[ $got -eq $want ]] || { echo "exit status $got, expected $want"; ok=0; }
[[ $lines -eq 1 ]] || { echo "$lines lines on stderr, expected 1"; ok=0; }
grep -qF -- "$text" "$err" || { echo "stderr does not say '$text'"; ok=0; }
cat "$err"
rm -f "$err"
[[ $ok -eq 1 ]]
