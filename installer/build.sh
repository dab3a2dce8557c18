#!/usr/bin/env bash
# Configures and builds Spotwise with the `dev` preset (Ninja, ccache when present) into build/dev.
# Shared by run-app.sh and run-tests.sh so the second command reuses the first one's build.
set -euo pipefail
cd "$(dirname "$0")/.."
installer/install-deps.sh
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake --preset dev -DSPOTWISE_WERROR="$werror" >/dev/null
cmake --build --preset dev
