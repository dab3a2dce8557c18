#!/usr/bin/env bash
# Builds Spotwise and runs the whole test suite (unit, gui, and the lab/e2e tests as they land),
# ending with ctest's summary. Benchmarks (label bench) and live-cloud tests (label live) are not run.
set -euo pipefail
cd "$(dirname "$0")/.."
installer/build.sh
exec ctest --preset dev --output-on-failure -j "$(nproc)"
