#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every source, build and script file of the project carries its licence
# line; LICENSE is at the top of the tree.
set -u
cd "$1"
[[ -f LICENSE ]] || { echo "no LICENSE file"; exit 1; }
list() { git ls-files 2>/dev/null || find . -path ./build\* -prune -o -type f -print | sed 's|^\./||'; }
missing=$(list | grep -E '\.(cpp|hpp|cmake|sh|py|in)$|CMakeLists\.txt$|^\.ci/run$' |
  grep -v '^tests/fixtures/' | while read -r f; do grep -q 'SPDX-License-Identifier: MIT' "$f" || echo "$f"; done)
if [[ -n $missing ]]; then
  echo "files without an SPDX-License-Identifier line:"
  echo "$missing"
  exit 1
fi
echo "every file carries its licence line"
