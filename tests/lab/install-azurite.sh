#!/usr/bin/env bash
# Installs Azurite (Microsoft's Azure Storage emulator) for the cloud lab into a project-local
# folder, pinned to 3.35.0 (later versions need node 22; Debian 12 has node 18, the image 20).
# Safe to run again: does nothing when that version is already there.
# Usage: tests/lab/install-azurite.sh [DIR]   (default: build/lab-peers/azurite)
# Prints the path of azurite-blob on success.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-${SPOTWISE_LAB_PEERS:-$PWD/build/lab-peers}/azurite}
version=3.35.0
bin="$dir/node_modules/.bin/azurite-blob"
if [ -x "$bin" ] && grep -q "\"version\": \"$version\"" "$dir/node_modules/azurite/package.json" 2>/dev/null; then
  echo "$bin"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-azurite: npm is missing (Debian: apt-get install npm)" >&2
  exit 1
fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "azurite@$version" >&2
echo "$bin"
