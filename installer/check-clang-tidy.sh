#!/usr/bin/env bash
# Static analysis: clang-tidy (.clang-tidy, warnings are errors) over every core/ source, with the
# `tidy` preset's compilation database (clang flags; configure only, nothing is built).
# Usage: installer/check-clang-tidy.sh [file regex, default: all of core/]
# CI runs it from installer/run-tests.sh (CI=true). Exit status non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v run-clang-tidy >/dev/null || { echo "check-clang-tidy: run-clang-tidy missing (apt-get install clang-tidy)" >&2; exit 1; }
cmake --preset tidy >/dev/null
# Every core/ source is checked; the embedded-data sources are generated under build/ and so are
# not matched.
default="^$PWD/core/.*\\.cpp\$"
filter=${1:-$default}
log=build/tidy/clang-tidy.log
start=$(date +%s)
rc=0
run-clang-tidy -p build/tidy -j "$(nproc)" -quiet "$filter" >"$log" 2>&1 || rc=$?
# run-clang-tidy prints each file's command; show only what was found.
grep -E "(error|warning): |terminated by signal" "$log" | sed 's/\x1b\[[0-9;]*m//g' | sort -u || true
files=$(grep -c "^clang-tidy" "$log" || true)
echo "clang-tidy: $files core files in $(( $(date +%s) - start ))s, exit $rc" >&2
exit "$rc"
