#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer (preset `asan`) over the unit, lab and e2e tests
# (the gui tests run in the normal suite: Qt's own libraries are not instrumented).
# Builds only what those tests need (targets tests_unit, tests_lab, tests_e2e).
# CI runs it from installer/run-tests.sh (CI=true); locally: SPOTWISE_SANITIZE=1 installer/run-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# build/asan was a gcc build before it also held the fuzzers: a cache made by another compiler is
# dropped rather than reconfigured in place.
if [ -f build/asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' build/asan/CMakeCache.txt; then
  rm -rf build/asan
fi
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake --preset asan -DSPOTWISE_WERROR="$werror" >/dev/null
available=$(ninja -C build/asan -t targets all)  # captured first: grep -q would cut ninja's pipe
targets=()
for label in unit lab e2e; do
  if grep -q "^tests_$label:" <<<"$available"; then targets+=("tests_$label"); fi
done
cmake --build --preset asan --target "${targets[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset asan -L '^(unit|lab|e2e)$' --output-on-failure -j "$(nproc)"
