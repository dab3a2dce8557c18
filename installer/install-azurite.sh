#!/usr/bin/env bash
# Installs Microsoft's Azurite storage emulator (npm azurite@3.35.0; later versions need node 22)
# and the Azure Data Lake SDK (@azure/storage-file-datalake, the directory-SAS reference) into a
# project-local folder, for the Azure storage lab tests. Safe to run again: does nothing
# when that version is already there. Usage: installer/install-azurite.sh [DIR]
# (default build/tools/azurite; the tests look there or in $SPOTWISE_AZURITE_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
version=3.35.0
dir="${1:-${SPOTWISE_AZURITE_DIR:-$PWD/build/tools/azurite}}"
mkdir -p "$dir"
# Tests may call this concurrently (ctest -j): one installer at a time, the others then find it done.
exec 9>"$dir/.install.lock"
flock 9
# With it, Microsoft's own Data Lake SDK (JavaScript), the reference the directory-SAS signer is
# checked against: Azurite has no hierarchical namespace, so it cannot check a directory SAS.
sdk=12.31.0
installed=$(node -p "require('$dir/node_modules/azurite/package.json').version" 2>/dev/null || true)
installedSdk=$(node -p "require('$dir/node_modules/@azure/storage-file-datalake/package.json').version" 2>/dev/null || true)
[ "$installed" = "$version" ] && [ "$installedSdk" = "$sdk" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "spotwise: npm is not installed; cannot install azurite@$version" >&2
  exit 1
fi
echo "spotwise: installing azurite@$version and @azure/storage-file-datalake@$sdk into $dir" >&2
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "azurite@$version" "@azure/storage-file-datalake@$sdk" >&2
