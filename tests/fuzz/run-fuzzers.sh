#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `asan`: clang, ASan + UBSan, the build the sanitizer tests
# also use) and fuzzes each in turn.
# Usage: tests/fuzz/run-fuzzers.sh [seconds per target, default 25] [target...]
#   CI runs 5 s each; a local campaign is e.g. `nice -n 19 tests/fuzz/run-fuzzers.sh 600`.
# One process per fuzzer, SPOTWISE_FUZZ_JOBS fuzzers at a time (default 1: the build machines are
# shared; CI, on a machine of its own, runs one per core: each target still gets its full seconds
# of wall time on a core of its own). The growing corpus is
# kept in build/asan/fuzz/corpus/<target>, crashes in build/asan/fuzz/artifacts/<target>/; a crash fails
# the run. Turn each crash into a regression: copy it to tests/fuzz/regressions/<target>/ and fix
# the parser (the replay test of the normal build then runs it forever).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-25}
shift || true

# build/asan was a gcc build before it also held the fuzzers: a cache made by another compiler is
# dropped rather than reconfigured in place.
if [ -f build/asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' build/asan/CMakeCache.txt; then
  rm -rf build/asan
fi
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake --preset asan -DSPOTWISE_WERROR="$werror" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in build/asan/tests/fuzz/*.seeds; do targets+=("$(basename "$f" .seeds)"); done
fi
cmake --build --preset asan --target "${targets[@]}"

summary=${SPOTWISE_FUZZ_SUMMARY:-build/asan/fuzz/summary.txt}
mkdir -p "$(dirname "$summary")"
: >"$summary"
jobs=${SPOTWISE_FUZZ_JOBS:-1}
results=build/asan/fuzz/results
rm -rf "$results" && mkdir -p "$results"

# Fuzzes one target; its summary line goes to $results/<target>.line, its exit status to .rc.
fuzz() {
  local t=$1 SEEDS="" DICT="" MAX_LEN=""
  # shellcheck disable=SC1090
  source "build/asan/tests/fuzz/$t.seeds"
  local corpus=build/asan/fuzz/corpus/$t seeddir=build/asan/fuzz/seeds/$t artifacts=build/asan/fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  rm -rf "$seeddir" && mkdir -p "$seeddir"
  local seeds s f
  IFS=';' read -ra seeds <<<"$SEEDS"
  for s in "${seeds[@]}"; do
    [ -e "$s" ] || continue
    # Seeds are named by content (as libFuzzer names its corpus), so equal file names in
    # different folders (SOURCES.md, context.json, ...) never collide.
    while IFS= read -r -d '' f; do
      cp "$f" "$seeddir/$(sha1sum "$f" | cut -c1-40)"
    done < <(find "$s" -type f -print0)
  done
  local args=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -n "$DICT" ] && args+=(-dict="$DICT")
  [ -n "$MAX_LEN" ] && args+=(-max_len="$MAX_LEN")
  local log=build/asan/fuzz/$t.log
  echo "== $t: ${seconds}s, $(find "$seeddir" -type f | wc -l) seeds, corpus $(find "$corpus" -type f | wc -l)" >&2
  local rc=0
  nice -n 19 "build/asan/tests/fuzz/$t" "${args[@]}" "$corpus" "$seeddir" >"$log" 2>&1 || rc=$?
  local execs rate crashes line
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=$(find "$artifacts" -type f | wc -l)
  line="$t: ${execs:-?} executions (${rate:-?}/s) in ${seconds}s, corpus $(find "$corpus" -type f | wc -l) inputs, exit $rc, artifacts $crashes"
  if [ "$rc" -ne 0 ]; then
    line+=$'\n'$(grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -20 || true)
  fi
  echo "$line" >&2
  echo "$line" >"$results/$t.line"
  echo "$rc" >"$results/$t.rc"
}

running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz "$t" &
  running=$((running + 1))
done
wait

# The summary in target order; a target without a result (its runner died) fails the run too.
failed=0
for t in "${targets[@]}"; do
  if [ -f "$results/$t.line" ]; then cat "$results/$t.line" >>"$summary"; else echo "$t: no result" >>"$summary"; fi
  if [ "$(cat "$results/$t.rc" 2>/dev/null || echo 1)" != 0 ]; then failed=1; fi
done
exit "$failed"
