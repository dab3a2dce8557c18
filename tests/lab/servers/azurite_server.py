#!/usr/bin/env python3
"""Runs Azurite's blob service on a free loopback port for one test.

Usage: azurite_server.py AZURITE_BLOB_BIN
Prints `PORT <n>` once Azurite accepts connections, and stops it when stdin closes; Azurite also
gets SIGKILL if this wrapper dies (PR_SET_PDEATHSIG), so nothing outlives the test.
"""
import ctypes
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def main():
    binary = sys.argv[1]
    for _ in range(5):  # the port may be taken between the probe and Azurite's bind
        port = free_port()
        child = subprocess.Popen([binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
                                  "--disableTelemetry", "--silent"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sys.stderr,
                                 preexec_fn=die_with_parent)
        deadline = time.time() + 20
        while time.time() < deadline and child.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if child.poll() is None:
            break
    else:
        print("azurite did not start", file=sys.stderr)
        sys.exit(1)
    print(f"PORT {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    main()
