#!/usr/bin/env bash
# Usage: package-test.sh <build dir> <version>   (ctest: PackageTest, label package)
# Exit 77 (skipped) when a packaging tool is missing, unless CI=true, where that fails.
set -euo pipefail
build=$1 version=$2
app_id=${SPOTWISE_APP_ID:-io.spotwise.Spotwise}
fail() { echo "FAIL: $*" >&2; exit 1; }

for tool in cpack dpkg-deb dpkg-shlibdeps lintian appstreamcli desktop-file-validate; do
  if ! command -v "$tool" >/dev/null; then
    [ "${CI:-}" = "true" ] && fail "$tool is missing (installer/install-deps.sh installs it)"
    echo "SKIP: $tool is missing (installer/install-deps.sh installs it)"
    exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== cpack (DEB, TGZ)"
cpack --config "$build/CPackConfig.cmake" -G "DEB;TGZ" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
deb=$(find "$tmp/out" -maxdepth 1 -name "spotwise_${version}_*.deb")
tgz=$(find "$tmp/out" -maxdepth 1 -name "spotwise-${version}-linux-*.tar.gz")
[ -f "$deb" ] || fail "no spotwise_${version}_<arch>.deb in: $(ls "$tmp/out")"
[ -f "$tgz" ] || fail "no spotwise-${version}-linux-<arch>.tar.gz in: $(ls "$tmp/out")"
echo "deb $(stat -c %s "$deb") bytes, tar.gz $(stat -c %s "$tgz") bytes"

echo "== control fields"
control=$(dpkg-deb --field "$deb")
echo "$control"
[ "$(dpkg-deb --field "$deb" Package)" = spotwise ] || fail "package name"
[ "$(dpkg-deb --field "$deb" Version)" = "$version" ] || fail "package version"
depends=$(dpkg-deb --field "$deb" Depends)
names=$(sed 's/ *([^)]*)//g; s/, */\n/g' <<<"$depends")  # one package name a line
for dep in libc6 libstdc++6 libqt6core6 libqt6widgets6 libqt6svg6 qt6-qpa-plugins libcurl4; do
  grep -qxF "$dep" <<<"$names" || fail "Depends lacks $dep: $depends"
done

echo "== unpack into a fresh root"
root=$tmp/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/spotwise usr/bin/spotwise-cli \
         "usr/share/applications/$app_id.desktop" "usr/share/metainfo/$app_id.metainfo.xml" \
         "usr/share/icons/hicolor/scalable/apps/$app_id.svg" \
         usr/share/doc/spotwise/copyright usr/share/doc/spotwise/changelog.gz \
         usr/share/man/man1/spotwise.1.gz usr/share/man/man1/spotwise-cli.1.gz; do
  [ -e "$root/$f" ] || fail "$f is not in the package"
done
for n in 16 32 48 64 128 256; do
  icon="$root/usr/share/icons/hicolor/${n}x${n}/apps/$app_id.png"
  [ -f "$icon" ] || fail "no ${n}x${n} icon"
  file "$icon" | grep -q "PNG image data, $n x $n" || fail "${n}x${n} icon is $(file -b "$icon")"
done
file "$root/usr/bin/spotwise" | grep -q "stripped" || fail "spotwise is not stripped"
if readelf -d "$root/usr/bin/spotwise" "$root/usr/bin/spotwise-cli" | grep -Eq "RPATH|RUNPATH"; then
  fail "an installed binary carries an RPATH/RUNPATH"
fi

echo "== run the installed binaries"
out=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$root/usr/bin/spotwise" --version)
[ "$out" = "spotwise $version" ] || fail "spotwise --version said: $out"
out=$("$root/usr/bin/spotwise-cli" prices --gpu T4)
echo "$out" | head -5
rows=$(grep -c ' T4 ' <<<"$out" || true)
[ "$rows" -ge 3 ] || fail "spotwise-cli prices --gpu T4 listed $rows T4 offers"
if grep -v ' T4 ' <<<"$out" | grep -Eq ' (A100|H100|L4|V100) '; then fail "non-T4 offers in the T4 list"; fi
# The GUI starts from the package (offscreen platform) and draws its window.
XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/runtime" QT_QPA_PLATFORM=offscreen \
  "$root/usr/bin/spotwise" --screenshot "$tmp/shot.png" >/dev/null
file "$tmp/shot.png" | grep -q "PNG image data" || fail "the installed app drew no window"

echo "== the tarball"
mkdir "$tmp/tgz" && tar -xzf "$tgz" -C "$tmp/tgz"
out=$("$tmp"/tgz/spotwise-*/bin/spotwise-cli --version)
grep -q "$version" <<<"$out" || fail "tarball spotwise-cli --version said: $out"

echo "== desktop entry, AppStream, changelog"
desktop-file-validate "$root/usr/share/applications/$app_id.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net "$root/usr/share/metainfo/$app_id.metainfo.xml" || fail "appstreamcli validate"
grep -q "<release version=\"$version\"" "$root/usr/share/metainfo/$app_id.metainfo.xml" ||
  fail "metainfo has no <release> for $version"
zcat "$root/usr/share/doc/spotwise/changelog.gz" | head -1 | grep -q "^spotwise ($version)" ||
  fail "changelog's newest entry is not $version"

echo "== lintian"
lintian --allow-root --fail-on error --tag-display-limit 0 "$deb" || fail "lintian reports errors"
echo "PASS"
