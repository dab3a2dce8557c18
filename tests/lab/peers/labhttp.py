"""Shared pieces of the cloud lab's loopback peers.

Every peer is a real HTTP server on 127.0.0.1 with a free port chosen by the kernel (port 0).
It records each request it receives and can be told to misbehave (fault injection) for the
next N matching requests. A peer is driven by the test that started it through JSON lines on
its stdin (one command per line, one JSON answer per line on stdout); when stdin closes (the
test ended, passed, failed or crashed) the peer shuts down, so nothing is left running.

Faults (the "kind" of a fault):
  status      answer `status` with `body` (and `contentType`, `retryAfter`, `headers`)
  slow        wait `seconds` and then serve the request normally
  late        serve the request (the change happens), then wait `seconds` before answering: the
              client times out although the server acted, the case idempotency tokens exist for
  hang        never answer (hold the connection for `seconds`, default 60): a client timeout
  truncate    announce a longer Content-Length than sent, then close: a truncated body
  nonjson     answer 200 with an HTML page instead of the API's JSON/XML
  reset       close the connection without answering
A fault matches on `method` and a regular expression `match` searched in "METHOD PATH?QUERY
BODY" (so an EC2 Action=RunInstances form field matches too), and applies `count` times.
"""

import base64
import http.client
import http.server
import json
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
from urllib.parse import urlsplit


class FaultBook:
    """Faults waiting to be applied and the log of requests seen. Thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._requests = []

    def add(self, fault):
        fault = dict(fault)
        fault.setdefault("count", 1)
        fault.setdefault("match", "")
        with self._lock:
            self._faults.append(fault)

    def clear(self):
        with self._lock:
            self._faults.clear()
            self._requests.clear()

    def take(self, method, text):
        """The first pending fault matching this request (its count decremented), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.get("method") and fault["method"] != method:
                    continue
                if fault["match"] and not re.search(fault["match"], text):
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self._faults.remove(fault)
                return dict(fault)
        return None

    def record(self, entry):
        with self._lock:
            self._requests.append(entry)

    def requests(self, match=""):
        with self._lock:
            return [r for r in self._requests if not match or re.search(match, r["text"])]


def body_text(body):
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return "<binary %d bytes>" % len(body)


class LabHandler(http.server.BaseHTTPRequestHandler):
    """Base request handler: reads the body, records the request, applies faults, then calls
    `self.server.app.handle(handler, method, path, query, headers, body)` which returns
    (status, headers dict, body bytes)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the test reads our stdout as its control channel
        pass

    def _serve(self):
        method = self.command
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = self.rfile.read(length) if length else b""
        text = "%s %s%s%s %s" % (method, parts.path, "?" if parts.query else "", parts.query,
                                 body_text(body)[:20000])
        book = self.server.book
        book.record({
            "method": method, "path": parts.path, "query": parts.query,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body_text(body)[:200000], "text": text, "time": time.time(),
        })
        fault = book.take(method, text)
        if fault and self._apply_fault(fault):
            return
        if fault and fault["kind"] == "late":
            try:
                answer = self.server.app.handle(self, method, parts.path, parts.query, self.headers, body)
            finally:
                time.sleep(float(fault.get("seconds", 5)))
            self.close_connection = True
            try:
                self._send(*answer)
            except OSError:
                pass  # the client gave up, as intended
            return
        try:
            status, headers, out = self.server.app.handle(self, method, parts.path, parts.query,
                                                          self.headers, body)
        except Exception:  # a bug in the lab must show as a 500 with the trace, not a hang
            status, headers, out = 500, {"Content-Type": "text/plain"}, traceback.format_exc().encode()
        self._send(status, headers, out)

    def _read_chunked(self):
        data = b""
        while True:
            line = self.rfile.readline().strip()
            size = int(line.split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def _send(self, status, headers, out, length=None):
        # One Date: the answer's own when it has one (a peer's or a proxied service's clock), else ours.
        self.send_response_only(status)
        self.send_header("Server", self.version_string())
        if not any(k.lower() == "date" for k in (headers or {})):
            self.send_header("Date", self.date_time_string())
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if method_has_body(self.command, status):
            self.send_header("Content-Length", str(len(out) if length is None else length))
        self.end_headers()
        if method_has_body(self.command, status) and out:
            self.wfile.write(out)
        self.wfile.flush()

    def _apply_fault(self, fault):
        """Applies one fault; returns True when the request has been fully answered."""
        kind = fault["kind"]
        if kind == "status":
            headers = dict(fault.get("headers") or {})
            headers.setdefault("Content-Type", fault.get("contentType", "application/json"))
            if "retryAfter" in fault:
                headers["Retry-After"] = str(fault["retryAfter"])
            self._send(int(fault["status"]), headers, fault.get("body", "").encode())
            return True
        if kind == "slow":
            time.sleep(float(fault.get("seconds", 1)))
            return False
        if kind == "late":
            return False
        if kind == "hang":
            time.sleep(float(fault.get("seconds", 60)))
            self.close_connection = True
            return True
        if kind == "truncate":
            body = fault.get("body", '{"items": [{"name": "cut-')
            self._send(200, {"Content-Type": fault.get("contentType", "application/json")},
                       body.encode(), length=len(body) + 4096)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if kind == "nonjson":
            self._send(200, {"Content-Type": "text/html"},
                       b"<html><body>Service temporarily unavailable (proxy)</body></html>")
            return True
        if kind == "reset":
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            self.connection.close()
            return True
        raise ValueError("unknown fault kind: %s" % kind)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve


def method_has_body(method, status):
    return method != "HEAD" and status not in (204, 304)


class LabServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app, book=None):
        super().__init__(("127.0.0.1", 0), LabHandler)
        self.app = app
        self.book = book or FaultBook()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


def control_loop(ready, commands, on_exit=None):
    """Prints the `ready` JSON line, then answers JSON commands from stdin until it closes.
    `commands` maps a command name to a function(args dict) -> JSON-able result."""
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
            fn = commands.get(request.get("cmd"))
            if fn is None:
                raise ValueError("unknown command %r" % request.get("cmd"))
            answer = {"ok": True, "result": fn(request)}
        except Exception as e:  # report to the test, keep serving
            answer = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(answer), flush=True)
    if on_exit:
        on_exit()


def book_commands(book):
    """The commands every peer answers: fault, clear, requests."""
    def fault(req):
        for f in req.get("faults", [req.get("fault")]):
            book.add(f)
        return None

    def requests(req):
        return book.requests(req.get("match", ""))

    def clear(req):
        book.clear()
        return None

    return {"fault": fault, "requests": requests, "clear": clear}


def b64(data):
    return base64.b64encode(data).decode()


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade", "expect"}


class Proxy:
    """Forwards every request unchanged (Host header included, so signatures still verify)."""

    def __init__(self, upstream_port):
        self.port = upstream_port

    def handle(self, handler, method, path, query, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest(method, path + ("?" + query if query else ""), skip_host=True,
                            skip_accept_encoding=True)
            for k, v in headers.items():
                if k.lower() not in HOP_BY_HOP:
                    conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            out = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
            if method == "HEAD" and resp.getheader("Content-Length") is not None:
                out["Content-Length"] = resp.getheader("Content-Length")  # the object's size
            return resp.status, out, data
        finally:
            conn.close()


