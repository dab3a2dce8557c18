#!/usr/bin/env bash
# The cloud lab's entry to installer/install-azurite.sh (one installer, one folder for every test).
# Usage: tests/lab/install-azurite.sh [DIR]   (default: build/tools/azurite)
# Prints the path of azurite-blob on success.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-${SPOTWISE_AZURITE_DIR:-$PWD/build/tools/azurite}}
installer/install-azurite.sh "$dir"
echo "$dir/node_modules/.bin/azurite-blob"
