"""Azure Storage in the lab: Azurite 3.35.0 (Microsoft's emulator, which enforces SharedKey and
SAS) behind the recording, fault-injecting proxy.

Usage: python3 azurite_peer.py
Installs Azurite with tests/lab/install-azurite.sh when it is not there yet (npm), starts
`azurite-blob --blobPort 0 --inMemoryPersistence --disableTelemetry` and prints one JSON line:
{"endpoint": proxy URL + "/devstoreaccount1", "direct": Azurite's URL, "account", "key"} (the
emulator's well-known public key), then answers commands on stdin (see labhttp.py) plus:
  {"cmd":"serverClock","offset":S}   the service's clock runs S seconds ahead of this machine's
                                     (0: back in step)

Azurite does not check the age of x-ms-date; real Azure Storage refuses a SharedKey request whose
x-ms-date is more than 15 minutes away from its clock with 403 AuthenticationFailed and
AuthenticationErrorDetail "Request date header too old: '<date>'" (and says its own time in
Date). The proxy plays that check, against its (possibly offset) clock, before forwarding.
"""

import ctypes
import email.utils
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labhttp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class SkewCheckingProxy(labhttp.Proxy):
    """Azure Storage's x-ms-date window (15 minutes), which Azurite leaves out, in front of Azurite."""

    WINDOW = 15 * 60

    def __init__(self, upstream_port):
        super().__init__(upstream_port)
        self.offset = 0

    def handle(self, handler, method, path, query, headers, body):
        auth = headers.get("Authorization", "")
        date = headers.get("x-ms-date") or headers.get("Date")
        now = time.time() + self.offset
        if auth.startswith("SharedKey ") and date:
            sent = email.utils.parsedate_to_datetime(date).timestamp()
            if abs(sent - now) > self.WINDOW:
                detail = ("Request date header too old: '%s'" % date) if sent < now else (
                    "Request date header is in the future: '%s'" % date)
                xml = ('\ufeff<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>'
                       "Server failed to authenticate the request. Make sure the value of Authorization header is "
                       "formed correctly including the signature.\nRequestId:%s\nTime:%s</Message>"
                       "<AuthenticationErrorDetail>%s</AuthenticationErrorDetail></Error>"
                       % (uuid.uuid4(), time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(now)), detail))
                return 403, {"Content-Type": "application/xml", "x-ms-error-code": "AuthenticationFailed",
                             "Date": email.utils.formatdate(now, usegmt=True)}, xml.encode("utf-8")
        return super().handle(handler, method, path, query, headers, body)


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
    proxy = SkewCheckingProxy(port)
    server = labhttp.LabServer(proxy).start()
    commands = labhttp.book_commands(server.book)

    def server_clock(req):
        proxy.offset = int(req.get("offset", 0))

    commands["serverClock"] = server_clock
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
