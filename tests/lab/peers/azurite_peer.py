"""Azure Storage in the lab: Azurite 3.35.0 (Microsoft's emulator, which enforces SharedKey and
SAS) behind the recording, fault-injecting proxy.

Usage: python3 azurite_peer.py
Installs Azurite with tests/lab/install-azurite.sh when it is not there yet (npm), starts
`azurite-blob --blobPort 0 --inMemoryPersistence --disableTelemetry` and prints one JSON line:
{"endpoint": proxy URL + "/devstoreaccount1", "direct": Azurite's URL, "account", "key"} (the
emulator's well-known public key), then answers commands on stdin (see labhttp.py).
"""

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labhttp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def die_with_parent():
    # PR_SET_PDEATHSIG: Azurite goes when this peer goes, even if the peer is killed.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def main():
    install = os.path.join(HERE, "..", "install-azurite.sh")
    try:
        azurite = subprocess.run([install], check=True, capture_output=True, text=True, timeout=300).stdout.strip()
    except Exception as e:
        detail = getattr(e, "stderr", "") or str(e)
        print(json.dumps({"error": "Azurite 3.35.0 is not installed and npm could not install it: %s" % detail[-500:]}),
              flush=True)
        sys.exit(3)
    proc = subprocess.Popen([azurite, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence",
                             "--extentMemoryLimit", "512", "--disableTelemetry"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=die_with_parent)
    port = None
    for line in proc.stdout:
        m = re.search(r"successfully listens on http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        print(json.dumps({"error": "Azurite did not start (exit %s)" % proc.poll()}), flush=True)
        sys.exit(3)
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # drain its log
    server = labhttp.LabServer(labhttp.Proxy(port)).start()
    commands = labhttp.book_commands(server.book)
    try:
        labhttp.control_loop({"endpoint": server.url + "/" + ACCOUNT, "direct": "http://127.0.0.1:%d" % port,
                              "account": ACCOUNT, "key": KEY}, commands)
    finally:
        server.shutdown()
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
