#!/usr/bin/env bash
# Installs Microsoft's Azurite storage emulator (npm azurite@3.35.0; later versions need node 22)
# into a project-local folder, for the Azure storage lab tests. Safe to run again: does nothing
# when that version is already there. Usage: installer/install-azurite.sh [DIR]
# (default build/tools/azurite; the tests look there or in $SPOTWISE_AZURITE_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
version=3.35.0
dir="${1:-${SPOTWISE_AZURITE_DIR:-$PWD/build/tools/azurite}}"
installed=$(node -p "require('$dir/node_modules/azurite/package.json').version" 2>/dev/null || true)
[ "$installed" = "$version" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "spotwise: npm is not installed; cannot install azurite@$version" >&2
  exit 1
fi
mkdir -p "$dir"
echo "spotwise: installing azurite@$version into $dir" >&2
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "azurite@$version" >&2
