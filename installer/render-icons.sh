#!/usr/bin/env bash
# Renders the application icon from its one source, resources/icons/spotwise.svg, into the
# committed files the packages use (run again after editing the SVG, and commit the results):
#   resources/icons/spotwise-<N>.png  hicolor sizes for Linux (16 32 48 64 128 256)
#   resources/icons/spotwise.ico      Windows (exe resource, NSIS installer), PNG-compressed entries
#   resources/icons/spotwise.icns     macOS app bundle (16 ... 1024, incl. Retina)
# Needs rsvg-convert (Debian: librsvg2-bin) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "render-icons: needs rsvg-convert (apt-get install librsvg2-bin)" >&2; exit 1; }
svg=resources/icons/spotwise.svg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 16 32 48 64 128 256 512 1024; do
  rsvg-convert --width "$n" --height "$n" --keep-aspect-ratio "$svg" -o "$tmp/$n.png"
done
for n in 16 32 48 64 128 256; do cp "$tmp/$n.png" "resources/icons/spotwise-$n.png"; done
python3 - "$tmp" resources/icons <<'PY'
import struct, sys, pathlib
tmp, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
png = lambda n: (tmp / f"{n}.png").read_bytes()
# ICO: ICONDIR + one ICONDIRENTRY per size; PNG payloads (a width/height byte of 0 means 256).
sizes = [16, 32, 48, 64, 128, 256]
entries, payload, offset = b"", b"", 6 + 16 * len(sizes)
for n in sizes:
    data = png(n)
    entries += struct.pack("<BBBBHHII", n % 256, n % 256, 0, 0, 1, 32, len(data), offset)
    payload += data
    offset += len(data)
(out / "spotwise.ico").write_bytes(struct.pack("<HHH", 0, 1, len(sizes)) + entries + payload)
# ICNS: 'icns' + total length, then (type, length incl. 8-byte header, PNG) per size.
types = [(b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
         (b"ic09", 512), (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512)]
body = b"".join(t + struct.pack(">I", 8 + len(png(n))) + png(n) for t, n in types)
(out / "spotwise.icns").write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)
PY
ls -l resources/icons
