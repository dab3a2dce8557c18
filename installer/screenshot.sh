#!/usr/bin/env bash
# Regenerates the README screenshot from the current build, on Qt's offscreen platform.
set -euo pipefail
cd "$(dirname "$0")/.."
installer/build.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A throwaway settings folder, so the shot has the default window size and page.
XDG_CONFIG_HOME="$tmp" QT_QPA_PLATFORM=offscreen build/dev/app/spotwise --screenshot resources/screenshots/prices.png
