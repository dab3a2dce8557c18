#!/usr/bin/env python3
"""A loopback HTTP server for tests: real sockets, scripted responses and faults.

Started by tests (tests/LoopbackServer.h) as `http_fixture_server.py --port 0 [--root DIR]`; prints
`PORT <n>` on stdout when ready and exits when stdin closes (so it never outlives its test).

Routes:
  GET /status/<code>[?retry_after=S]   that status, body "status <code>"
  ANY /echo                            JSON {method, path, query, headers, body}
  GET /bytes/<n>                       n bytes of 'x'
  GET /slow?ms=N                       waits N ms, then 200 "slow"
  GET /stall                           headers + 10 of 100 promised bytes, then silence (until client leaves)
  GET /truncated                       promises 1000 bytes, sends 10, closes
  GET /files/<path>                    a file under --root, with ETag / If-None-Match → 304
  POST /__script?path=P                body: JSON list of {status, body, headers, delay_ms, chunk,
                                       chunk_delay_ms}; requests to P pop them in order (the last one
                                       repeats); with chunk, the body is sent `chunk` bytes at a time,
                                       chunk_delay_ms apart
  GET /__requests                      JSON list of every request seen (method, path, query, headers, body)
"""
import argparse
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SCRIPTS = {}
REQUESTS = []
LOCK = threading.Lock()
ROOT = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: tests read their own output
        pass

    def _send(self, status, body=b"", headers=None, chunk=0, chunk_delay_ms=0):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "text/plain")
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if chunk <= 0:
            self.wfile.write(body)
            return
        for start in range(0, len(body), chunk):  # a slow download: the client sees it arrive in parts
            self.wfile.write(body[start:start + chunk])
            self.wfile.flush()
            time.sleep(chunk_delay_ms / 1000)

    def _handle(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = parse_qs(url.query)
        record = {"method": self.command, "path": url.path, "query": url.query,
                  "headers": {k: v for k, v in self.headers.items()}, "body": body.decode("utf-8", "replace")}
        if not url.path.startswith("/__"):
            with LOCK:
                REQUESTS.append(record)
        p = url.path
        if p == "/__script":
            target = query["path"][0]
            with LOCK:
                SCRIPTS[target] = json.loads(body)
            return self._send(200, "ok")
        if p == "/__requests":
            with LOCK:
                return self._send(200, json.dumps(REQUESTS), {"Content-Type": "application/json"})
        with LOCK:
            script = SCRIPTS.get(p)
            step = (script.pop(0) if len(script) > 1 else script[0]) if script else None
        if step is not None:
            time.sleep(step.get("delay_ms", 0) / 1000)
            return self._send(step.get("status", 200), step.get("body", ""), step.get("headers"),
                              step.get("chunk", 0), step.get("chunk_delay_ms", 0))
        if p.startswith("/status/"):
            code = int(p.split("/")[2])
            headers = {"Retry-After": query["retry_after"][0]} if "retry_after" in query else {}
            return self._send(code, f"status {code}", headers)
        if p == "/echo":
            return self._send(200, json.dumps(record), {"Content-Type": "application/json"})
        if p.startswith("/bytes/"):
            return self._send(200, b"x" * int(p.split("/")[2]))
        if p == "/slow":
            time.sleep(int(query.get("ms", ["1000"])[0]) / 1000)
            return self._send(200, "slow")
        if p == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            try:
                for _ in range(600):  # at most 60 s, then give up
                    time.sleep(0.1)
                    self.wfile.write(b"")
            except OSError:
                pass
            self.close_connection = True
            return None
        if p == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            self.close_connection = True
            return None
        if p.startswith("/files/") and ROOT:
            path = os.path.realpath(os.path.join(ROOT, p[len("/files/"):]))
            if not path.startswith(os.path.realpath(ROOT)) or not os.path.isfile(path):
                return self._send(404, "no such file")
            data = open(path, "rb").read()
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._send(200, data, {"ETag": etag, "Content-Type": "application/octet-stream"})
        return self._send(404, "no route " + p)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


def main():
    global ROOT
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--root")
    args = parser.parse_args()
    ROOT = args.root
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    sys.stdin.read()  # EOF when the test process exits, however it exits
    server.shutdown()


if __name__ == "__main__":
    main()
