#!/usr/bin/env python3
# Spotwise Local provider: one "instance" (python3 standard library only).
#
# core/cloud/local starts this in a new session for every launch. It plays the machine and the
# cloud around it:
#   * a loopback metadata service with the documented responses of AWS IMDSv2 (token, then
#     spot/instance-action, 404 until a notice), GCP (instance/preempted) and Azure Scheduled
#     Events (Preempt), so the agent runs exactly the code path it runs in the cloud;
#   * the boot: runs the rendered startup script (user-data.sh) with SPOTWISE_IMDS_ENDPOINT and
#     SPOTWISE_AGENT_DIR pointing into the sandbox;
#   * preemption rehearsal: a notice when control/preempt appears ("Preempt now") or at the
#     configured hazard rate (per simulated hour, time-lapsed), then, after the notice time, the
#     whole instance is killed as a cloud would;
#   * terminate: control/terminate or SIGTERM kills every process of the instance's session.
# It writes runtime.json (atomically) for describe(); instance.json is written by the provider.
#
#   local_instance.py --sandbox DIR             run the instance in DIR
#   local_instance.py --metadata-only DIR       serve only the metadata service (tests), port in DIR/port
import datetime
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def http_date(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


def write_json_atomic(path, doc):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class MetadataState:
    def __init__(self, instance_id="i-local", credentials=None):
        self.lock = threading.Lock()
        self.instance_id = instance_id
        self.notice = None          # unix time the instance will be reclaimed
        self.tokens = set()
        self.credentials = credentials  # {"role":..., "AccessKeyId":..., ...} for the S3 lab only
        self.requests = 0

    def preempt(self, seconds):
        with self.lock:
            if self.notice is None:
                self.notice = time.time() + seconds


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def _send(self, code, body=b"", ctype="text/plain"):
            if isinstance(body, str):
                body = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            with state.lock:
                state.requests += 1
            if self.path != "/latest/api/token":
                return self._send(405)
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self._send(400)
            token = "AQAE" + os.urandom(24).hex()
            with state.lock:
                state.tokens.add(token)
            self.send_response(200)
            body = token.encode()
            self.send_header("Content-Type", "text/plain")
            self.send_header("X-aws-ec2-metadata-token-ttl-seconds", ttl)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            with state.lock:
                state.requests += 1
                notice = state.notice
            path = self.path
            if path.startswith("/latest/"):
                if self.headers.get("X-aws-ec2-metadata-token") not in state.tokens:
                    return self._send(401)
                if path == "/latest/meta-data/spot/instance-action":
                    if notice is None:
                        return self._send(404, "Not Found")
                    return self._send(200, json.dumps({"action": "terminate", "time": iso(notice)}), "application/json")
                if path == "/latest/meta-data/instance-id":
                    return self._send(200, state.instance_id)
                if path == "/latest/meta-data/iam/security-credentials/" and state.credentials:
                    return self._send(200, state.credentials["role"])
                if state.credentials and path == "/latest/meta-data/iam/security-credentials/" + state.credentials["role"]:
                    doc = {k: v for k, v in state.credentials.items() if k != "role"}
                    doc.update(Code="Success", Type="AWS-HMAC", Expiration=iso(time.time() + 6 * 3600))
                    return self._send(200, json.dumps(doc), "application/json")
                return self._send(404, "Not Found")
            if path.startswith("/computeMetadata/v1/"):
                if self.headers.get("Metadata-Flavor") != "Google":
                    return self._send(403)
                if path.split("?")[0] == "/computeMetadata/v1/instance/preempted":
                    return self._send(200, "TRUE" if notice is not None else "FALSE")
                return self._send(404)
            if path.startswith("/metadata/scheduledevents"):
                if self.headers.get("Metadata") != "true":
                    return self._send(400)
                events = []
                if notice is not None:
                    events.append({"EventId": "spotwise-local-preempt", "EventType": "Preempt", "ResourceType": "VirtualMachine",
                                   "Resources": [state.instance_id], "EventStatus": "Scheduled",
                                   "NotBefore": http_date(notice), "Description": "Local rehearsal", "EventSource": "Platform",
                                   "DurationInSeconds": -1})
                return self._send(200, json.dumps({"DocumentIncarnation": 1 if events else 0, "Events": events}), "application/json")
            return self._send(404)

    return Handler


def serve_metadata(state):
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def session_members(sid):
    """pids of every process in session `sid` (Linux /proc), this one excluded."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read().decode(errors="replace")
            fields = stat[stat.rfind(")") + 2:].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def kill_instance_processes(child):
    """SIGKILL every process of this instance (our session) until none is left."""
    sid = os.getsid(0)
    for _ in range(100):
        if child and child.poll() is None:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        members = session_members(sid)
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if child:
            try:
                child.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
        if not members and (not child or child.poll() is not None):
            return
        time.sleep(0.02)


def run_instance(sandbox):
    sandbox = os.path.abspath(sandbox)
    with open(os.path.join(sandbox, "instance.json"), encoding="utf-8") as f:
        inst = json.load(f)
    rehearsal = inst.get("rehearsal") or {}
    notice_seconds = float(rehearsal.get("noticeSeconds", 120))
    hazard = float(rehearsal.get("hazardPerHour", 0))
    time_lapse = float(rehearsal.get("timeLapse", 1)) or 1.0
    rng = random.Random(rehearsal.get("seed"))
    runtime_path = os.path.join(sandbox, "runtime.json")
    control = os.path.join(sandbox, "control")
    os.makedirs(control, exist_ok=True)
    agent_dir = os.path.join(sandbox, "agent")
    os.makedirs(agent_dir, exist_ok=True)

    state = MetadataState(inst.get("id", "i-local"), inst.get("roleCredentials"))
    server = serve_metadata(state)
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]
    with open("/proc/self/stat", "rb") as f:
        stat = f.read().decode()
    start_ticks = int(stat[stat.rfind(")") + 2:].split()[19])
    runtime = {"pid": os.getpid(), "sid": os.getsid(0), "startTicks": start_ticks, "state": "pending",
               "metadataEndpoint": endpoint, "startedAtUnix": time.time(), "endedAtUnix": None,
               "endReason": "none", "stateMessage": "booting", "noticeAtUnix": None, "reclaimAtUnix": None,
               "agentExitCode": None}
    write_json_atomic(runtime_path, runtime)

    stop = []
    signal.signal(signal.SIGTERM, lambda s, f: stop.append("terminated by request"))
    signal.signal(signal.SIGINT, lambda s, f: stop.append("terminated by request"))

    env = dict(os.environ)
    env.update(SPOTWISE_IMDS_ENDPOINT=endpoint, SPOTWISE_AGENT_DIR=agent_dir)
    for k, v in (inst.get("environment") or {}).items():
        env[k] = v
    console = open(os.path.join(sandbox, "console.log"), "ab")
    child = subprocess.Popen(["/bin/sh", os.path.join(sandbox, "user-data.sh")], cwd=agent_dir, env=env,
                             stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT, preexec_fn=os.setpgrp)
    runtime.update(state="running", stateMessage="running", agentPid=child.pid)
    write_json_atomic(runtime_path, runtime)

    last = time.monotonic()
    end_reason, message = None, ""
    while True:
        rc = child.poll()
        if rc is not None:
            kill_instance_processes(None)  # anything the boot script left behind goes with the machine
            runtime["agentExitCode"] = rc
            if state.notice is not None:
                end_reason, message = "spot-interruption", "Server.SpotInstanceTermination: reclaimed after a rehearsal notice"
            else:
                end_reason = "none" if rc == 0 else "error"
                message = "Client.InstanceInitiatedShutdown: the agent powered the instance off (exit %d%s)" % (rc, last_error(sandbox))
            break
        if stop or os.path.exists(os.path.join(control, "terminate")):
            kill_instance_processes(child)
            end_reason, message = "user", "Client.UserInitiatedShutdown: terminated by request"
            break
        now = time.monotonic()
        if state.notice is None:
            dt, last = now - last, now
            if os.path.exists(os.path.join(control, "preempt")):
                state.preempt(notice_seconds)
            elif hazard > 0 and rng.random() < 1.0 - pow(2.718281828459045, -hazard * dt * time_lapse / 3600.0):
                state.preempt(notice_seconds)
            if state.notice is not None:
                runtime.update(noticeAtUnix=time.time(), reclaimAtUnix=state.notice, stateMessage="spot interruption notice")
                write_json_atomic(runtime_path, runtime)
        elif time.time() >= state.notice:
            kill_instance_processes(child)
            runtime["agentExitCode"] = child.returncode
            end_reason, message = "spot-interruption", "Server.SpotInstanceTermination: reclaimed after a rehearsal notice"
            break
        time.sleep(0.05)

    server.shutdown()
    runtime.update(state="terminated", endReason=end_reason, stateMessage=message, endedAtUnix=time.time())
    write_json_atomic(runtime_path, runtime)
    return 0


def last_error(sandbox):
    try:
        with open(os.path.join(sandbox, "agent", "bootstrap.log"), "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            lines = [l for l in f.read().decode(errors="replace").splitlines() if l.strip()]
    except OSError:
        return ""
    for line in reversed(lines):
        if "failed:" in line or "error" in line.lower():
            return "; " + line.split("spotwise-agent: ", 1)[-1][-300:]
    return ""


def metadata_only(folder):
    state = MetadataState()
    creds = os.path.join(folder, "credentials.json")
    if os.path.exists(creds):
        with open(creds, encoding="utf-8") as f:
            state.credentials = json.load(f)
    server = serve_metadata(state)
    with open(os.path.join(folder, "port.tmp"), "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(os.path.join(folder, "port.tmp"), os.path.join(folder, "port"))
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))
    while True:
        if state.notice is None and os.path.exists(os.path.join(folder, "preempt")):
            with open(os.path.join(folder, "preempt")) as f:
                text = f.read().strip()
            state.preempt(float(text or 120))
        time.sleep(0.05)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--sandbox":
        sys.exit(run_instance(sys.argv[2]))
    if len(sys.argv) == 3 and sys.argv[1] == "--metadata-only":
        sys.exit(metadata_only(sys.argv[2]))
    sys.stderr.write("usage: local_instance.py --sandbox DIR | --metadata-only DIR\n")
    sys.exit(2)
