#!/usr/bin/env bash
# Builds Spotwise and starts the desktop app (embedded price snapshot, no account needed).
# Extra arguments go to the app, e.g. installer/run-app.sh --screenshot shot.png
set -euo pipefail
cd "$(dirname "$0")/.."
installer/build.sh
exec build/dev/app/spotwise "$@"
