#!/usr/bin/env bash
# Builds Spotwise and runs the whole test suite (unit, gui, package, and the lab/e2e tests as they
# land), ending with ctest's summary. Benchmarks (label bench) and live-cloud tests (label live)
# are not run.
# With CI=true (.ci/run) or SPOTWISE_CHECKS=1 clang-tidy, the fuzzers and ASan+UBSan run first,
# each also on its own switch:
#   SPOTWISE_TIDY=1      clang-tidy on core/               (installer/check-clang-tidy.sh)
#   SPOTWISE_FUZZ=1      each libFuzzer target for 5 s     (tests/fuzz/run-fuzzers.sh; SPOTWISE_FUZZ_SECONDS,
#                        SPOTWISE_FUZZ_JOBS fuzzers at a time, default one per core)
#   SPOTWISE_SANITIZE=1  unit|lab|e2e under ASan + UBSan   (installer/check-sanitizers.sh)
# clang-tidy needs no build, and the builds and the lab/e2e tests leave much of the CPU idle (links,
# tests waiting on their peers and child processes): it runs in the background at the lowest
# priority (nice 19) from before the build until after the ASan tests, so it only takes CPU time
# the other steps leave over; its output is printed when it is waited for. The fuzzers run after
# it, on cores of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
all=0
{ [ "${CI:-}" = "true" ] || [ "${SPOTWISE_CHECKS:-0}" = "1" ]; } && all=1
summary=()
check() {
  local name=$1 start result
  shift
  start=$(date +%s)
  echo "== $name" >&2
  if "$@"; then result=passed; else result=FAILED; status=1; fi
  summary+=("$name: $result in $(($(date +%s) - start)) s")
}

tidy_pid=""
if [ "$all" = 1 ] || [ "${SPOTWISE_TIDY:-0}" = "1" ]; then
  installer/install-deps.sh  # clang-tidy itself, before it is started
  mkdir -p build
  tidy_out=build/check-clang-tidy.out
  tidy_start=$(date +%s)
  echo "== clang-tidy on core/: started in the background (nice 19), output when it is done" >&2
  # Its own process group, so that an early exit (a failed build) stops it with everything it started.
  set -m
  nice -n 19 installer/check-clang-tidy.sh </dev/null >"$tidy_out" 2>&1 &
  tidy_pid=$!
  set +m
  trap '[ -z "$tidy_pid" ] || kill -- "-$tidy_pid" 2>/dev/null || true' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
fi

installer/build.sh
# The lab's npm peer (Azurite), installed once here rather than by several tests at once.
installer/install-azurite.sh || echo "spotwise: Azurite could not be installed; its lab tests will say so" >&2

# ASan+UBSan over the non-GUI tests (its own build, build/asan: core, the CLI and those tests only).
if [ "$all" = 1 ] || [ "${SPOTWISE_SANITIZE:-0}" = "1" ]; then
  check "ASan+UBSan on unit|lab|e2e" installer/check-sanitizers.sh
fi
if [ -n "$tidy_pid" ]; then
  echo "== clang-tidy on core/ (started $(($(date +%s) - tidy_start)) s ago)" >&2
  if wait "$tidy_pid"; then result=passed; else result=FAILED; status=1; fi
  tidy_pid=""
  cat "$tidy_out" >&2
  summary+=("clang-tidy on core/: $result in $(($(date +%s) - tidy_start)) s, in the background from the build on")
fi
if [ "$all" = 1 ] || [ "${SPOTWISE_FUZZ:-0}" = "1" ]; then
  check "fuzzers, ${SPOTWISE_FUZZ_SECONDS:-5} s each" \
    env SPOTWISE_FUZZ_JOBS="${SPOTWISE_FUZZ_JOBS:-$(nproc)}" tests/fuzz/run-fuzzers.sh "${SPOTWISE_FUZZ_SECONDS:-5}"
fi
if [ ${#summary[@]} -gt 0 ]; then
  echo "== checks" >&2
  printf '%s\n' "${summary[@]}" >&2
fi
# The test suite last, so that ctest's summary closes the output.
ctest --preset dev --output-on-failure -j "$(nproc)" || status=$?
exit "$status"
