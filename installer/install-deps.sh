#!/usr/bin/env bash
# Installs the Debian 12 packages Spotwise needs to build, run and test. Safe to run again:
# when everything is present it changes nothing and does not touch the network.
# Usage: installer/install-deps.sh            (build + run + test)
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config
  # core
  nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libcli11-dev libarchive-dev
  # ui (qt6-charts-dev needs Qt's OpenGL module and xkbcommon at configure time)
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev qtkeychain-qt6-dev libqt6svg6
  # tests and benchmarks
  libbenchmark-dev fonts-dejavu-core
  # credential tests: a real Secret Service (gnome-keyring in a private D-Bus session), google-auth
  # to verify GCP assertions (Azurite comes from npm: installer/install-azurite.sh)
  dbus gnome-keyring libsecret-tools python3-google-auth curl
  # packages and their checks (tests/installer: cpack, dpkg-shlibdeps, lintian, AppStream, desktop
  # entry, the job-file MIME type)
  dpkg-dev fakeroot file binutils lintian appstream desktop-file-utils shared-mime-info
)
# The checks CI adds (installer/run-tests.sh with CI=true or SPOTWISE_CHECKS=1): libFuzzer
# (clang 14 + its runtime) and clang-tidy. Re-rendering the icons (installer/render-icons.sh)
# needs librsvg2-bin; the rendered files are committed, so builds do not.
if [ "${CI:-}" = "true" ] || [ "${SPOTWISE_CHECKS:-0}" = "1" ] || [ "${SPOTWISE_FUZZ:-0}" = "1" ] ||
   [ "${SPOTWISE_TIDY:-0}" = "1" ]; then
  packages+=(clang clang-14 libclang-rt-14-dev clang-tidy-14 clang-tidy)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "spotwise: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "spotwise: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
