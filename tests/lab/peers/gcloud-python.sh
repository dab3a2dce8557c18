#!/usr/bin/env bash
# Runs a lab peer with the Python bundled in the Google Cloud CLI and gcloud's own libraries
# (google-auth 2.x, cryptography, the generated compute v1 classes) on its path.
# When gcloud is missing, prints the peer protocol's error line and exits 3 (the test skips, or fails in CI).
set -euo pipefail
gcloud_bin=$(command -v gcloud || true)
if [ -z "$gcloud_bin" ]; then
  echo '{"error": "gcloud (google-cloud-cli) is not installed"}'
  exit 3
fi
root=$(dirname "$(dirname "$(readlink -f "$gcloud_bin")")")
python="$root/platform/bundledpythonunix/bin/python3"
[ -x "$python" ] || python=${CLOUDSDK_PYTHON:-python3}
export PYTHONPATH="$root/lib:$root/lib/third_party${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" "$@"
