#!/usr/bin/env bash
# Fails if any given binary needs a Qt library, directly or through its shared-library closure.
set -euo pipefail
status=0
for bin in "$@"; do
  [ -x "$bin" ] || { echo "FAIL: $bin is not an executable"; exit 1; }
  if ! "$bin" >/dev/null 2>&1 && [[ "$bin" == *probe* ]]; then
    echo "FAIL: $bin did not run"; status=1
  fi
  qt=$(ldd "$bin" | grep -iE 'libQt[0-9]' || true)
  if [ -n "$qt" ]; then
    echo "FAIL: $bin loads Qt:"; echo "$qt"; status=1
  else
    echo "ok: $(basename "$bin") loads no Qt ($(ldd "$bin" | wc -l) shared libraries)"
  fi
done
exit $status
