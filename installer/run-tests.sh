#!/usr/bin/env bash
# Builds Spotwise and runs the whole test suite (unit, gui, package, and the lab/e2e tests as they
# land), ending with ctest's summary. Benchmarks (label bench) and live-cloud tests (label live)
# are not run.
# With CI=true (.ci/run) or SPOTWISE_CHECKS=1 clang-tidy, the fuzzers and ASan+UBSan run first,
# each also on its own switch:
#   SPOTWISE_TIDY=1      clang-tidy on core/               (installer/check-clang-tidy.sh)
#   SPOTWISE_FUZZ=1      each libFuzzer target for 5 s     (tests/fuzz/run-fuzzers.sh; SPOTWISE_FUZZ_SECONDS)
#   SPOTWISE_SANITIZE=1  unit|lab|e2e under ASan + UBSan   (installer/check-sanitizers.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
installer/build.sh
status=0
# The lab's npm peer (Azurite), installed once here rather than by several tests at once.
installer/install-azurite.sh || echo "spotwise: Azurite could not be installed; its lab tests will say so" >&2

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
if [ "$all" = 1 ] || [ "${SPOTWISE_TIDY:-0}" = "1" ]; then
  check "clang-tidy on core/" installer/check-clang-tidy.sh
fi
if [ "$all" = 1 ] || [ "${SPOTWISE_FUZZ:-0}" = "1" ]; then
  check "fuzzers, ${SPOTWISE_FUZZ_SECONDS:-5} s each" tests/fuzz/run-fuzzers.sh "${SPOTWISE_FUZZ_SECONDS:-5}"
fi
# ASan+UBSan over the non-GUI tests (its own build, build/asan: core, the CLI and those tests only).
if [ "$all" = 1 ] || [ "${SPOTWISE_SANITIZE:-0}" = "1" ]; then
  check "ASan+UBSan on unit|lab|e2e" installer/check-sanitizers.sh
fi
if [ ${#summary[@]} -gt 0 ]; then
  echo "== checks" >&2
  printf '%s\n' "${summary[@]}" >&2
fi
# The test suite last, so that ctest's summary closes the output.
ctest --preset dev --output-on-failure -j "$(nproc)" || status=$?
exit "$status"
