#!/usr/bin/env python3
# Spotwise instance agent. Python 3.8+ standard library only (what stock GPU images ship).
# Rendered into the instance's user-data / startup-script by core/agent (AgentRenderer), which
# writes config.json next to this file. Contract: resources/agent/README.md.
#   spotwise_agent.py run --config config.json        supervise one attempt of a job
#   spotwise_agent.py sync --config config.json       upload the checkpoint folder once
#   spotwise_agent.py restore --config config.json    download checkpoints/LATEST once
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

AGENT_VERSION = "1"
EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_STORAGE, EXIT_DRIVER, EXIT_PREEMPTED, EXIT_DEADLINE, EXIT_STOPPED = range(8)


class AgentError(Exception):
    def __init__(self, message, code=EXIT_FAILED):
        super().__init__(message)
        self.code = code


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def http(method, url, headers=None, data=None, timeout=10.0):
    """One HTTP call; returns (status, headers, body). Network errors raise OSError."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers or {}), e.read()


# ----------------------------------------------------------------------------------------------
# Buckets: the job's storage, seen through its prefix. Keys are '/'-separated and relative to it.

class Bucket:
    """What every bucket shares: keys under the job's prefix, whole-object file transfers."""
    prefix = ""

    def _name(self, key):
        return "/".join(p for p in (self.prefix, key) if p)

    def _relative(self, name):
        return name[len(self.prefix) + 1:] if self.prefix else name

    def put_file(self, key, src, rate=0):
        """Uploads a file in one request; returns (SHA-256, size) of the bytes sent."""
        with open(src, "rb") as f:
            data = f.read()
        throttle_sleep(len(data), rate)
        self.put_bytes(key, data)
        return hashlib.sha256(data).hexdigest(), len(data)

    def get_file(self, key, dst):
        data = self.get_bytes(key)
        if data is None:
            return False
        write_atomic(dst, data)
        return True


class LocalBucket(Bucket):
    """A folder (Local provider). Writes are atomic: temporary file then rename."""

    def __init__(self, path):
        self.root = os.path.abspath(path)
        if not os.path.isdir(self.root):
            raise AgentError("storage: bucket folder %s does not exist" % self.root, EXIT_STORAGE)

    def _path(self, key):
        path = os.path.normpath(os.path.join(self.root, key))
        if not path.startswith(self.root + os.sep):
            raise AgentError("storage: key %r leaves the bucket" % key, EXIT_STORAGE)
        return path

    def put_file(self, key, src, rate=0):
        dst = self._path(key)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        tmp = "%s.part-%d" % (dst, os.getpid())
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            digest = copy_throttled(fin, fout, rate)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dst)
        return digest

    def put_bytes(self, key, data):
        write_atomic(self._path(key), data, "part")  # list() skips ".part-" files

    def get_bytes(self, key):
        try:
            with open(self._path(key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def list(self, prefix):
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        keys = []
        for dirpath, _, files in os.walk(base):
            for name in files:
                if ".part-" in name:
                    continue
                keys.append(os.path.relpath(os.path.join(dirpath, name), self.root).replace(os.sep, "/"))
        return sorted(keys)

    def remove(self, key):
        try:
            os.remove(self._path(key))
        except FileNotFoundError:
            pass


class S3Bucket(Bucket):
    """S3 through the instance role: credentials from IMDS, requests signed with SigV4 here."""

    def __init__(self, cfg, metadata):
        self.bucket = cfg["bucket"]
        self.region = cfg.get("region") or "us-east-1"
        self.prefix = cfg.get("prefix", "").strip("/")
        self.endpoint = (cfg.get("endpoint") or "").rstrip("/")
        self.metadata = metadata
        self.creds = None
        # Above the threshold a file goes up in parts (S3: at least 5 MiB each but the last, at most 10,000).
        self.multipart_threshold = int(cfg.get("multipartThreshold") or 64 << 20)
        self.part_size = max(5 << 20, int(cfg.get("partSize") or 16 << 20))

    def _credentials(self):
        if self.creds and self.creds["expires"] > time.time() + 300:
            return self.creds
        c = self.metadata.role_credentials()
        self.creds = c
        return c

    def _url(self, key, query=""):
        path = "/" + urllib.parse.quote(self._name(key), safe="/-_.~")
        if self.endpoint:
            return "%s/%s%s" % (self.endpoint, self.bucket, path) + (("?" + query) if query else "")
        return "https://%s.s3.%s.amazonaws.com%s" % (self.bucket, self.region, path) + (("?" + query) if query else "")

    def _request(self, method, key, data=b"", query=""):
        url = self._url(key, query)
        c = self._credentials()
        headers = sigv4_headers(method, url, data, self.region, "s3", c["key"], c["secret"], c.get("token"))
        if method in ("PUT", "POST"):  # else urllib declares a form body, which some servers then parse away
            headers["Content-Type"] = "application/octet-stream"
        return http(method, url, headers, data if method in ("PUT", "POST") else None, timeout=120)

    def _call(self, operation, method, key, data=b"", query="", ok=(200,)):
        """One S3 call, tried again once after a 5xx or a network error; returns (headers, body)."""
        for attempt in (1, 2):
            try:
                status, headers, body = self._request(method, key, data, query)
            except OSError as e:
                if attempt == 2:
                    raise AgentError("storage: S3 %s %s: %s" % (operation, key, e), EXIT_STORAGE)
                continue
            if status in ok and b"<Error>" not in body[:512]:  # CompleteMultipartUpload can fail with a 200
                return headers, body
            if status < 500 or attempt == 2:
                raise AgentError("storage: S3 %s %s: HTTP %d %s" % (operation, key, status, body[:200]), EXIT_STORAGE)

    def put_file(self, key, src, rate=0):
        size = os.path.getsize(src)
        if size <= self.multipart_threshold:
            return Bucket.put_file(self, key, src, rate)
        # Multipart: one part in memory at a time; aborted on failure so no stray parts keep billing.
        _, body = self._call("CreateMultipartUpload", "POST", key, b"", "uploads")
        upload = re.search(rb"<UploadId>([^<]+)</UploadId>", body)
        if not upload:
            raise AgentError("storage: S3 CreateMultipartUpload %s: no UploadId in the answer" % key, EXIT_STORAGE)
        upload_id = urllib.parse.quote(upload.group(1).decode(), safe="-_.~")
        digest, parts = hashlib.sha256(), []
        part_size = max(self.part_size, -(-size // 10000))  # S3 allows 10,000 parts
        try:
            with open(src, "rb") as f:
                while True:
                    chunk = f.read(part_size)
                    if not chunk:
                        break
                    digest.update(chunk)
                    throttle_sleep(len(chunk), rate)
                    number = len(parts) + 1
                    headers, _ = self._call("UploadPart", "PUT", key, chunk, "partNumber=%d&uploadId=%s" % (number, upload_id))
                    etag = next((v for k, v in headers.items() if k.lower() == "etag"), "")
                    parts.append("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (number, etag.replace('"', "&quot;")))
            doc = "<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(parts)
            self._call("CompleteMultipartUpload", "POST", key, doc.encode(), "uploadId=" + upload_id)
        except BaseException:
            try:
                self._request("DELETE", key, b"", "uploadId=" + upload_id)
            except OSError:
                pass
            raise
        return digest.hexdigest(), size

    def put_bytes(self, key, data):
        status, _, body = self._request("PUT", key, data)
        if status != 200:
            raise AgentError("storage: S3 PutObject %s: HTTP %d %s" % (key, status, body[:200]), EXIT_STORAGE)

    def get_bytes(self, key):
        status, _, body = self._request("GET", key)
        if status == 404:
            return None
        if status != 200:
            raise AgentError("storage: S3 GetObject %s: HTTP %d %s" % (key, status, body[:200]), EXIT_STORAGE)
        return body

    def list(self, prefix):
        full = self._name(prefix)
        keys, token = [], None
        while True:
            q = {"list-type": "2", "prefix": full}
            if token:
                q["continuation-token"] = token
            # Encoded exactly as the canonical request encodes it, so every server agrees.
            query = urllib.parse.urlencode(sorted(q.items()), quote_via=lambda v, *a: urllib.parse.quote(v, safe="-_.~"))
            url = (self.endpoint + "/" + self.bucket if self.endpoint
                   else "https://%s.s3.%s.amazonaws.com" % (self.bucket, self.region)) + "/?" + query
            c = self._credentials()
            headers = sigv4_headers("GET", url, b"", self.region, "s3", c["key"], c["secret"], c.get("token"))
            status, _, body = http("GET", url, headers)
            if status != 200:
                raise AgentError("storage: S3 ListObjectsV2 %s: HTTP %d" % (full, status), EXIT_STORAGE)
            root = ET.fromstring(body)
            ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
            for el in root.findall(ns + "Contents"):
                keys.append(self._relative(el.find(ns + "Key").text))
            token_el = root.find(ns + "NextContinuationToken")
            if token_el is None or not token_el.text:
                return sorted(keys)
            token = token_el.text

    def remove(self, key):
        status, _, _ = self._request("DELETE", key)
        if status not in (200, 204, 404):
            raise AgentError("storage: S3 DeleteObject %s: HTTP %d" % (key, status), EXIT_STORAGE)


class AzureBucket(Bucket):
    """Azure Blob Storage through a SAS scoped to the job's prefix (never the account key)."""

    def __init__(self, cfg):
        self.container = cfg["containerUrl"].rstrip("/")
        self.sas = cfg["sas"].lstrip("?")
        self.prefix = cfg.get("prefix", "").strip("/")

    def _url(self, key, extra=""):
        return "%s/%s?%s%s" % (self.container, urllib.parse.quote(self._name(key), safe="/-_.~"), extra, self.sas)

    def _headers(self, extra=None):
        h = {"x-ms-version": "2021-08-06", "x-ms-date": datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")}
        h.update(extra or {})
        return h

    def put_bytes(self, key, data):
        status, _, body = http("PUT", self._url(key), self._headers({"x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream"}), data, timeout=120)
        if status != 201:
            raise AgentError("storage: Azure Put Blob %s: HTTP %d %s" % (key, status, body[:200]), EXIT_STORAGE)

    def get_bytes(self, key):
        status, _, body = http("GET", self._url(key), self._headers(), timeout=120)
        if status == 404:
            return None
        if status != 200:
            raise AgentError("storage: Azure Get Blob %s: HTTP %d" % (key, status), EXIT_STORAGE)
        return body

    def list(self, prefix):
        full = self._name(prefix)
        keys, marker = [], ""
        while True:
            extra = "restype=container&comp=list&prefix=%s&" % urllib.parse.quote(full, safe="")
            if marker:
                extra += "marker=%s&" % urllib.parse.quote(marker, safe="")
            status, _, body = http("GET", "%s?%s%s" % (self.container, extra, self.sas), self._headers())
            if status != 200:
                raise AgentError("storage: Azure List Blobs %s: HTTP %d" % (full, status), EXIT_STORAGE)
            root = ET.fromstring(body)
            for el in root.iter("Name"):
                keys.append(self._relative(el.text or ""))
            marker = (root.findtext("NextMarker") or "")
            if not marker:
                return sorted(keys)

    def remove(self, key):
        status, _, _ = http("DELETE", self._url(key), self._headers())
        if status not in (202, 404):
            raise AgentError("storage: Azure Delete Blob %s: HTTP %d" % (key, status), EXIT_STORAGE)


class GcsBucket(Bucket):
    """Google Cloud Storage with the VM service account's token from the metadata server."""

    def __init__(self, cfg, metadata):
        self.bucket = cfg["bucket"]
        self.prefix = cfg.get("prefix", "").strip("/")
        self.endpoint = (cfg.get("endpoint") or "https://storage.googleapis.com").rstrip("/")
        self.metadata = metadata

    def _auth(self):
        return {"Authorization": "Bearer " + self.metadata.gcp_token()}

    def put_bytes(self, key, data):
        url = "%s/upload/storage/v1/b/%s/o?uploadType=media&name=%s" % (self.endpoint, self.bucket, urllib.parse.quote(self._name(key), safe=""))
        status, _, body = http("POST", url, dict(self._auth(), **{"Content-Type": "application/octet-stream"}), data, timeout=120)
        if status != 200:
            raise AgentError("storage: GCS insert %s: HTTP %d %s" % (key, status, body[:200]), EXIT_STORAGE)

    def get_bytes(self, key):
        url = "%s/storage/v1/b/%s/o/%s?alt=media" % (self.endpoint, self.bucket, urllib.parse.quote(self._name(key), safe=""))
        status, _, body = http("GET", url, self._auth(), timeout=120)
        if status == 404:
            return None
        if status != 200:
            raise AgentError("storage: GCS get %s: HTTP %d" % (key, status), EXIT_STORAGE)
        return body

    def list(self, prefix):
        keys, token = [], ""
        while True:
            url = "%s/storage/v1/b/%s/o?prefix=%s" % (self.endpoint, self.bucket, urllib.parse.quote(self._name(prefix), safe=""))
            if token:
                url += "&pageToken=" + urllib.parse.quote(token, safe="")
            status, _, body = http("GET", url, self._auth())
            if status != 200:
                raise AgentError("storage: GCS list %s: HTTP %d" % (prefix, status), EXIT_STORAGE)
            doc = json.loads(body)
            for item in doc.get("items", []):
                keys.append(self._relative(item["name"]))
            token = doc.get("nextPageToken", "")
            if not token:
                return sorted(keys)

    def remove(self, key):
        url = "%s/storage/v1/b/%s/o/%s" % (self.endpoint, self.bucket, urllib.parse.quote(self._name(key), safe=""))
        status, _, _ = http("DELETE", url, self._auth())
        if status not in (200, 204, 404):
            raise AgentError("storage: GCS delete %s: HTTP %d" % (key, status), EXIT_STORAGE)


def sigv4_headers(method, url, payload, region, service, key, secret, token=None, when=None):
    """AWS Signature Version 4 headers for one request (the payload is hashed, not UNSIGNED)."""
    parts = urllib.parse.urlsplit(url)
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    payload_hash = hashlib.sha256(payload or b"").hexdigest()
    headers = {"host": parts.netloc, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    if token:
        headers["x-amz-security-token"] = token
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    canonical_query = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                               for k, v in sorted(query))
    signed = sorted(headers)
    canonical = "\n".join([method, parts.path or "/", canonical_query,
                           "".join("%s:%s\n" % (h, headers[h].strip()) for h in signed),
                           ";".join(signed), payload_hash])
    scope = "%s/%s/%s/aws4_request" % (date, region, service)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    out = {h: v for h, v in headers.items() if h != "host"}
    out["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (key, scope, ";".join(signed), signature)
    return out


def copy_throttled(fin, fout, rate):
    """Copies at most `rate` bytes/s (0: unlimited); returns (SHA-256, size) of what was copied."""
    start, done, h = time.monotonic(), 0, hashlib.sha256()
    while True:
        chunk = fin.read(1 << 16)
        if not chunk:
            return h.hexdigest(), done
        h.update(chunk)
        fout.write(chunk)
        done += len(chunk)
        if rate:
            ahead = done / float(rate) - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)


def throttle_sleep(size, rate):
    if rate:
        time.sleep(size / float(rate))


def write_atomic(path, data, kind="tmp"):
    """Writes `path` through "<path>.<kind>-<pid>" and a rename: readers see the old or the new file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = "%s.%s-%d" % (path, kind, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def make_bucket(cfg, metadata):
    kind = cfg.get("kind")
    if kind == "local":
        return LocalBucket(cfg["path"])
    if kind == "s3":
        return S3Bucket(cfg, metadata)
    if kind == "azure-blob":
        return AzureBucket(cfg)
    if kind == "gcs":
        return GcsBucket(cfg, metadata)
    raise AgentError("storage: unknown kind %r" % kind, EXIT_CONFIG)


# ----------------------------------------------------------------------------------------------
# Instance metadata: preemption notices and the instance's own credentials.

class Metadata:
    """The provider's metadata service. endpoint overrides the link-local address (Local, tests)."""

    DEFAULTS = {"aws": "http://169.254.169.254", "azure": "http://169.254.169.254",
                "gcp": "http://metadata.google.internal", "local": "http://169.254.169.254"}

    def __init__(self, flavor, endpoint=""):
        self.flavor = "aws" if flavor == "local" else flavor
        self.endpoint = (os.environ.get("SPOTWISE_IMDS_ENDPOINT") or endpoint or self.DEFAULTS.get(flavor, "")).rstrip("/")
        self.token, self.token_expires = None, 0.0

    # AWS IMDSv2: a session token (PUT), then every GET carries it.
    def _aws_token(self, force=False):
        if force or not self.token or time.time() > self.token_expires - 60:
            status, _, body = http("PUT", self.endpoint + "/latest/api/token",
                                   {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}, b"", timeout=2)
            if status != 200:
                raise OSError("IMDSv2 token: HTTP %d" % status)
            self.token, self.token_expires = body.decode(), time.time() + 21600
        return self.token

    def _aws_get(self, path):
        for attempt in (0, 1):
            status, _, body = http("GET", self.endpoint + "/latest/meta-data/" + path,
                                   {"X-aws-ec2-metadata-token": self._aws_token(force=attempt == 1)}, timeout=2)
            if status != 401:
                return status, body
        return status, body

    def preemption_notice(self):
        """None, or {"deadline": unix time the machine goes away, "detail": provider's words}."""
        if self.flavor == "aws":
            status, body = self._aws_get("spot/instance-action")
            if status == 404:
                return None
            if status != 200:
                raise OSError("spot/instance-action: HTTP %d" % status)
            doc = json.loads(body)
            deadline = parse_time(doc.get("time", "")) or time.time() + 120
            return {"deadline": deadline, "detail": "spot instance-action %s at %s" % (doc.get("action"), doc.get("time"))}
        if self.flavor == "gcp":
            status, _, body = http("GET", self.endpoint + "/computeMetadata/v1/instance/preempted",
                                   {"Metadata-Flavor": "Google"}, timeout=2)
            if status != 200:
                raise OSError("instance/preempted: HTTP %d" % status)
            if body.strip().upper() == b"TRUE":
                return {"deadline": time.time() + 30, "detail": "GCE instance/preempted TRUE"}
            return None
        if self.flavor == "azure":
            status, _, body = http("GET", self.endpoint + "/metadata/scheduledevents?api-version=2020-07-01",
                                   {"Metadata": "true"}, timeout=5)
            if status != 200:
                raise OSError("scheduledevents: HTTP %d" % status)
            for ev in json.loads(body).get("Events", []):
                if ev.get("EventType") == "Preempt":
                    deadline = parse_time(ev.get("NotBefore", "")) or time.time() + 30
                    return {"deadline": deadline, "detail": "Azure Scheduled Event Preempt %s" % ev.get("EventId", "")}
            return None
        return None

    def role_credentials(self):
        """Temporary credentials of the instance role (AWS); never long-term keys."""
        status, body = self._aws_get("iam/security-credentials/")
        if status != 200 or not body.strip():
            raise AgentError("storage: no instance role credentials (HTTP %d)" % status, EXIT_STORAGE)
        role = body.decode().split()[0]
        status, body = self._aws_get("iam/security-credentials/" + role)
        if status != 200:
            raise AgentError("storage: instance role %s credentials: HTTP %d" % (role, status), EXIT_STORAGE)
        doc = json.loads(body)
        return {"key": doc["AccessKeyId"], "secret": doc["SecretAccessKey"], "token": doc.get("Token"),
                "expires": parse_time(doc.get("Expiration", "")) or time.time() + 3600}

    def gcp_token(self):
        status, _, body = http("GET", self.endpoint + "/computeMetadata/v1/instance/service-accounts/default/token",
                               {"Metadata-Flavor": "Google"}, timeout=5)
        if status != 200:
            raise AgentError("storage: service-account token: HTTP %d" % status, EXIT_STORAGE)
        return json.loads(body)["access_token"]


def parse_time(text):
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%a, %d %b %Y %H:%M:%S GMT"):
        try:
            return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            pass
    return None


# ----------------------------------------------------------------------------------------------
# GPUs and the NVIDIA driver.

def query_gpus():
    """[{"name", "memory_mib", "util"}] from nvidia-smi; [] when there is none or it fails."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,utilization.gpu", "--format=csv,noheader,nounits"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if out.returncode != 0:
        return []
    gpus = []
    for line in out.stdout.decode(errors="replace").splitlines():
        cols = [c.strip() for c in line.split(",")]
        if len(cols) < 3 or not cols[0]:
            continue
        gpus.append({"name": cols[0], "memory_mib": to_number(cols[1]), "util": to_number(cols[2])})
    return gpus


def to_number(text):
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return None


def os_release(path):
    info = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    info[k] = v.strip().strip('"')
    except OSError:
        pass
    return info


def setup_driver(cfg, log):
    """Verify, or install from the distribution's packages, the NVIDIA driver. Returns the GPUs.

    driver.mode: "auto" (verify; install on plain Ubuntu 22.04/24.04 when missing), "verify"
    (deep-learning images: the driver must already work), "install" (always through apt),
    "skip" (no GPU expected, e.g. Local). Raises AgentError(EXIT_DRIVER) when a GPU machine ends
    up without a working driver.
    """
    drv = cfg.get("driver") or {}
    mode = drv.get("mode", "auto")
    if mode == "skip":
        gpus = query_gpus()
        log("driver: setup skipped; %d GPU(s) visible" % len(gpus))
        return gpus
    gpus = query_gpus()
    if gpus and mode != "install":
        log("driver: nvidia-smi sees %d GPU(s): %s" % (len(gpus), ", ".join(g["name"] for g in gpus)))
        return gpus
    if mode == "verify":
        raise AgentError("driver: nvidia-smi found no working NVIDIA driver on this image (mode verify)", EXIT_DRIVER)
    rel = os_release(drv.get("osRelease", "/etc/os-release"))
    distro, version = rel.get("ID", ""), rel.get("VERSION_ID", "")
    if distro != "ubuntu" or version not in ("22.04", "24.04"):
        raise AgentError("driver: no NVIDIA driver and no install recipe for %s %s (supported: Ubuntu 22.04/24.04)"
                         % (distro or "unknown OS", version), EXIT_DRIVER)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    series = str(drv.get("series") or ("535" if version == "22.04" else "550"))

    def run(cmd, timeout=1800):
        log("driver: $ " + " ".join(cmd))
        try:
            r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            log("driver: %s" % e)
            return False
        for line in r.stdout.decode(errors="replace").splitlines()[-5:]:
            log("driver:   " + line)
        return r.returncode == 0

    run(["apt-get", "update", "-q"])
    installed = False
    if shutil.which("ubuntu-drivers") or run(["apt-get", "install", "-y", "-q", "ubuntu-drivers-common"]):
        # --gpgpu picks the headless server driver the distribution recommends for this GPU.
        installed = run(["ubuntu-drivers", "install", "--gpgpu"])
    if not installed:
        installed = run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                         "nvidia-headless-%s-server" % series, "nvidia-utils-%s-server" % series])
    if not installed:
        raise AgentError("driver: installing the NVIDIA %s driver from Ubuntu %s packages failed" % (series, version), EXIT_DRIVER)
    run(["modprobe", "nvidia"], timeout=120)
    gpus = query_gpus()
    if not gpus:
        raise AgentError("driver: driver packages installed but nvidia-smi still sees no GPU", EXIT_DRIVER)
    log("driver: installed; nvidia-smi sees %d GPU(s): %s" % (len(gpus), ", ".join(g["name"] for g in gpus)))
    return gpus


# ----------------------------------------------------------------------------------------------
# Checkpoints: checkpoints/<seq>/<files>, then checkpoints/LATEST (manifest) written last.

def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Checkpoints:
    KEEP = 2

    def __init__(self, bucket, local_dir, log, rate=0):
        self.bucket, self.dir, self.log, self.rate = bucket, local_dir, log, rate
        self.seq, self.signature, self.step = 0, None, None
        self.manifests = {}  # seq -> file paths, for checkpoints this agent knows

    def _scan(self):
        files = []
        for dirpath, dirnames, names in os.walk(self.dir):
            dirnames.sort()
            for name in sorted(names):
                if name.endswith(".tmp") or ".tmp-" in name:
                    continue  # a file being written atomically: its rename is the real one
                path = os.path.join(dirpath, name)
                if not os.path.isfile(path) or os.path.islink(path):
                    continue
                st = os.stat(path)
                files.append((os.path.relpath(path, self.dir).replace(os.sep, "/"), st.st_size, st.st_mtime_ns))
        return files

    def latest(self):
        data = self.bucket.get_bytes("checkpoints/LATEST")
        if data is None:
            return None
        try:
            doc = json.loads(data)
            int(doc["seq"])
            return doc
        except (ValueError, KeyError, TypeError):
            raise AgentError("checkpoints/LATEST is not a Spotwise manifest", EXIT_STORAGE)

    def restore(self):
        """Downloads the checkpoint LATEST names (verifying every file); returns its seq or 0."""
        doc = self.latest()
        os.makedirs(self.dir, exist_ok=True)
        if not doc:
            self.log("checkpoint: none in the bucket, starting fresh")
            return 0
        seq = int(doc["seq"])
        for entry in doc["files"]:
            rel = entry["path"]
            if rel.startswith("/") or ".." in rel.split("/"):
                raise AgentError("checkpoint %d: unsafe path %r" % (seq, rel), EXIT_STORAGE)
            dst = os.path.join(self.dir, rel)
            if not self.bucket.get_file("checkpoints/%06d/%s" % (seq, rel), dst):
                raise AgentError("checkpoint %d: file %s listed in LATEST is missing" % (seq, rel), EXIT_STORAGE)
            if file_sha256(dst) != entry["sha256"]:
                raise AgentError("checkpoint %d: file %s does not match its checksum" % (seq, rel), EXIT_STORAGE)
        self.seq, self.step = seq, doc.get("step")
        self.manifests[seq] = [e["path"] for e in doc["files"]]
        self.signature = self._scan()
        self.log("checkpoint: restored #%d (%d files, step %s)" % (seq, len(doc["files"]), doc.get("step")))
        return seq

    def sync(self, step=None, attempt=None, force=False):
        """Uploads the folder as a new checkpoint when it changed; returns the new seq or None."""
        scan = self._scan()
        if not scan or (scan == self.signature and not force):
            return None
        if self.seq == 0:
            latest = self.latest()
            self.seq = int(latest["seq"]) if latest else 0
            if latest:
                self.manifests[self.seq] = [e["path"] for e in latest["files"]]
        seq = self.seq + 1
        manifest = []
        for rel, _, _ in scan:
            src = os.path.join(self.dir, rel)
            try:
                # The digest of the bytes actually uploaded (one read): the program may replace
                # the file meanwhile, and the manifest must describe what is in the bucket.
                digest, size = self.bucket.put_file("checkpoints/%06d/%s" % (seq, rel), src, self.rate)
            except FileNotFoundError:
                continue  # replaced while we read it: the next sync catches the new one
            manifest.append({"path": rel, "size": size, "sha256": digest})
        doc = {"seq": seq, "files": manifest, "step": step, "attempt": attempt, "created_at": now_iso()}
        # Written last, and only now that every file of this checkpoint is in the bucket.
        self.bucket.put_bytes("checkpoints/LATEST", json.dumps(doc, indent=1).encode())
        self.seq, self.signature, self.step = seq, scan, step
        self.log("checkpoint: uploaded #%d (%d files, step %s)" % (seq, len(manifest), step))
        # Older checkpoints go once a newer one is complete; their manifests name their files,
        # so no listing is needed. A failed clean-up costs storage, never the checkpoint.
        self.manifests[seq] = [e["path"] for e in manifest]
        for old in sorted(k for k in self.manifests if k <= seq - self.KEEP):
            try:
                for rel in self.manifests[old]:
                    self.bucket.remove("checkpoints/%06d/%s" % (old, rel))
                del self.manifests[old]
            except (AgentError, OSError) as e:
                self.log("checkpoint: removing #%d failed: %s" % (old, e))
        return seq


# ----------------------------------------------------------------------------------------------
# The supervisor.

def safe_extract(archive, dest):
    with tarfile.open(archive, "r:gz") as tar:
        root = os.path.realpath(dest)
        for m in tar.getmembers():
            target = os.path.realpath(os.path.join(dest, m.name))
            if not (target == root or target.startswith(root + os.sep)) or m.isdev():
                raise AgentError("code bundle: unsafe entry %r" % m.name)
            if (m.issym() or m.islnk()):
                link = os.path.realpath(os.path.join(os.path.dirname(target), m.linkname)) if m.issym() \
                    else os.path.realpath(os.path.join(dest, m.linkname))
                if not (link == root or link.startswith(root + os.sep)):
                    raise AgentError("code bundle: link %r points outside the bundle" % m.name)
        tar.extractall(dest)


class Agent:
    def __init__(self, cfg, base):
        self.cfg, self.base = cfg, base
        self.job, self.attempt = cfg["jobId"], int(cfg["attempt"])
        self.work = os.path.join(base, "work")
        self.ckpt_dir = os.path.join(self.work, "checkpoints")
        self.progress_path = os.path.join(self.work, "progress.jsonl")
        self.result_dir = os.path.join(self.work, "result")
        self.code_dir = os.path.join(self.work, "code")
        self.log_path = os.path.join(self.work, "attempt-%d.log" % self.attempt)
        os.makedirs(self.work, exist_ok=True)
        self.log_lock = threading.Lock()
        self.status = {"job_id": self.job, "attempt": self.attempt, "state": "booting", "step": None, "total": None,
                       "loss": None, "gpu": {"model": None, "count": 0, "utilization": None}, "message": "",
                       "checkpoint_seq": 0, "checkpoint_step": None, "resumed_from_step": None, "exit_code": None, "started_at": now_iso(), "notice_at": None,
                       "agent_version": AGENT_VERSION}
        self.progress_offset = 0
        self.gpus = []
        self.bucket = None
        self.proc = None
        self.stop_signal = None
        self.metadata = Metadata(cfg.get("provider", "aws"), cfg.get("metadataEndpoint", ""))

    def log(self, line):
        text = "%s spotwise-agent: %s\n" % (now_iso(), line)
        with self.log_lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(text)
        sys.stderr.write(text)
        sys.stderr.flush()

    def heartbeat(self, state=None, message=None):
        if state:
            self.status["state"] = state
        if message is not None:
            self.status["message"] = message
        self._read_progress()
        if self.gpus:
            live = query_gpus() or self.gpus
            self.status["gpu"] = {"model": live[0]["name"], "count": len(live),
                                  "utilization": sum((g["util"] or 0) for g in live) / len(live)}
        self.status["updated_at"] = now_iso()
        self.status["updated_at_unix"] = int(time.time())
        if self.bucket:
            try:
                self.bucket.put_bytes("status.json", json.dumps(self.status, indent=1).encode())
                self.bucket.put_bytes("logs/attempt-%d.log" % self.attempt, self._log_tail())
            except (AgentError, OSError) as e:
                sys.stderr.write("spotwise-agent: heartbeat upload failed: %s\n" % e)

    def _log_tail(self, limit=256 * 1024):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - limit))
                return f.read()
        except OSError:
            return b""

    def _read_progress(self):
        try:
            with open(self.progress_path, "rb") as f:
                f.seek(self.progress_offset)
                chunk = f.read()
        except OSError:
            return
        end = chunk.rfind(b"\n")
        if end < 0:
            return
        self.progress_offset += end + 1
        for line in reversed(chunk[:end].splitlines()):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict):
                for k in ("step", "total", "loss"):
                    if k in doc:
                        self.status[k] = doc[k]
                return

    def deadline(self):
        limits = []
        if self.cfg.get("maxRuntimeSeconds"):
            limits.append((self.started + float(self.cfg["maxRuntimeSeconds"]), "maximum runtime reached"))
        if self.cfg.get("deadlineUnix"):
            limits.append((float(self.cfg["deadlineUnix"]), "budget deadline reached"))
        return min(limits) if limits else (None, "")

    def run(self):
        self.started = time.time()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.log("agent %s: job %s attempt %d on %s" % (AGENT_VERSION, self.job, self.attempt, self.cfg.get("provider")))
        try:
            self.bucket = make_bucket(self.cfg["storage"], self.metadata)
            self.bucket.put_bytes("status.json", json.dumps(dict(self.status, updated_at=now_iso())).encode())
        except (AgentError, OSError, KeyError) as e:
            self.bucket = None
            raise AgentError("storage: cannot write to the job's bucket: %s" % e, EXIT_STORAGE)
        self.heartbeat("setup", "checking the NVIDIA driver")
        self.gpus = setup_driver(self.cfg, self.log)
        if not self.gpus and self.cfg.get("expectGpu"):
            raise AgentError("driver: this machine should have a GPU but nvidia-smi reports none", EXIT_DRIVER)
        self.heartbeat("setup", "fetching the code bundle")
        archive = os.path.join(self.work, "code.tar.gz")
        if not self.bucket.get_file(self.cfg.get("codeKey", "code.tar.gz"), archive):
            raise AgentError("code bundle %s is missing from the bucket" % self.cfg.get("codeKey", "code.tar.gz"))
        shutil.rmtree(self.code_dir, ignore_errors=True)
        os.makedirs(self.code_dir)
        safe_extract(archive, self.code_dir)
        self.heartbeat("restoring", "restoring checkpoints/LATEST")
        shutil.rmtree(self.ckpt_dir, ignore_errors=True)
        self.checkpoints = Checkpoints(self.bucket, self.ckpt_dir, self.log, int(self.cfg.get("uploadBytesPerSecond") or 0))
        self.status["checkpoint_seq"] = self.checkpoints.restore()
        self.status["resumed_from_step"] = self.checkpoints.step or 0
        self.status["checkpoint_step"] = self.checkpoints.step
        return self.supervise()

    def _on_signal(self, signum, frame):
        self.stop_signal = signum

    def _program_env(self):
        env = dict(os.environ)
        env.pop("SPOTWISE_IMDS_ENDPOINT", None)
        env.update({str(k): str(v) for k, v in (self.cfg.get("environment") or {}).items()})
        os.makedirs(self.result_dir, exist_ok=True)
        open(self.progress_path, "a").close()
        self.progress_offset = os.path.getsize(self.progress_path)
        env.update(SPOTWISE_JOB_ID=self.job, SPOTWISE_ATTEMPT=str(self.attempt), SPOTWISE_CHECKPOINT_DIR=self.ckpt_dir,
                   SPOTWISE_PROGRESS_FILE=self.progress_path, SPOTWISE_RESULT_DIR=self.result_dir)
        return env

    def supervise(self):
        cfg = self.cfg
        poll = float(cfg.get("pollSeconds", 5))
        beat = float(cfg.get("heartbeatSeconds", 15))
        sync_every = float(cfg.get("syncSeconds", 300))
        grace = float(cfg.get("graceSeconds", 90))
        sig = getattr(signal, cfg.get("checkpointSignal", "SIGTERM"))
        logf = open(self.log_path, "ab")
        self.log("running: %s" % cfg["command"])
        self.proc = subprocess.Popen(["/bin/sh", "-c", cfg["command"]], cwd=self.code_dir, env=self._program_env(),
                                     stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=os.setpgrp)
        self.heartbeat("running", "")
        next_poll = next_beat = time.monotonic()
        next_sync = time.monotonic() + sync_every
        deadline, why = self.deadline()
        while True:
            code = self.proc.poll()
            if code is not None:
                return self.finish(code)
            now = time.monotonic()
            if self.stop_signal:
                return self.interrupt("stopped", "agent received signal %d; stopping" % self.stop_signal, sig, grace, EXIT_STOPPED)
            if deadline and time.time() >= deadline:
                return self.interrupt("failed", "dead-man's switch: " + why, sig, grace, EXIT_DEADLINE)
            if now >= next_poll:
                next_poll = now + poll
                try:
                    notice = self.metadata.preemption_notice()
                except (OSError, ValueError) as e:
                    notice = None
                    self.log("preemption watch: %s" % e)
                if notice:
                    self.status["notice_at"] = now_iso()
                    reserve = float(cfg.get("uploadReserveSeconds", 15))
                    usable = max(1.0, min(grace, notice["deadline"] - time.time() - reserve))
                    self.log("preemption notice: %s; signalling the program, %.0f s to checkpoint" % (notice["detail"], usable))
                    return self.interrupt("preempted", "preempted: " + notice["detail"], sig, usable, EXIT_PREEMPTED)
            if now >= next_sync:
                next_sync = now + sync_every
                self._sync()
            if now >= next_beat:
                next_beat = now + beat
                self.heartbeat()
            time.sleep(min(0.2, poll, beat))

    def _sync(self, force=False):
        self._read_progress()
        try:
            seq = self.checkpoints.sync(self.status.get("step"), self.attempt, force)
            if seq:
                self.status["checkpoint_seq"] = seq
                self.status["checkpoint_step"] = self.checkpoints.step
        except (AgentError, OSError) as e:
            self.log("checkpoint sync failed: %s" % e)

    def interrupt(self, state, message, sig, grace, code):
        self.heartbeat("preempting" if state == "preempted" else "stopping", message)
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        # Wait for the whole process group, not just the shell: the program may still be
        # writing its checkpoint after `sh -c` itself has died of the same signal.
        until = time.monotonic() + grace
        while time.monotonic() < until and (self.proc.poll() is None or group_alive(self.proc.pid)):
            time.sleep(0.05)
        if self.proc.poll() is None or group_alive(self.proc.pid):
            self.log("program still running after %.0f s; killing it" % grace)
        else:
            self.log("program exited with status %d after the signal" % shell_status(self.proc.returncode))
        self._kill_group()
        self.status["exit_code"] = shell_status(self.proc.returncode)
        self._sync()
        self.heartbeat(state, message)
        return code

    def _kill_group(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def finish(self, code):
        code = shell_status(code)
        self._kill_group()  # nothing the program started outlives it
        self.status["exit_code"] = code
        self._sync()
        if code == 0:
            for dirpath, _, names in os.walk(self.result_dir):
                for name in sorted(names):
                    path = os.path.join(dirpath, name)
                    rel = os.path.relpath(path, self.result_dir).replace(os.sep, "/")
                    self.bucket.put_file("result/" + rel, path)
            self.log("program finished (exit 0)")
            self.heartbeat("succeeded", "finished")
            return EXIT_OK
        tail = self._log_tail(2048).decode(errors="replace").strip().splitlines()
        last = next((l for l in reversed(tail) if "spotwise-agent:" not in l), "")
        message = "command exited with status %d%s" % (code, (": " + last[-300:]) if last else "")
        self.log("failed: " + message)
        self.heartbeat("failed", message)
        return EXIT_FAILED


def group_alive(pgid):
    """Whether a live (non-zombie) process remains in the group. An orphan that already exited
    stays a zombie until init reaps it, which may take seconds: /proc tells the two apart."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not os.path.isdir("/proc/self"):
        return True
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def shell_status(code):
    """Exit status as a shell reports it: 128 + N for a death by signal N."""
    return 128 - code if code is not None and code < 0 else code


def power_off(cfg, log):
    # Never on Local: there the "machine" is the user's own computer.
    if not cfg.get("powerOff", True) or cfg.get("provider") == "local":
        return
    log("powering off")
    for cmd in (["shutdown", "-h", "now"], ["poweroff"], ["sudo", "-n", "shutdown", "-h", "now"]):
        try:
            if subprocess.run(cmd, check=False, timeout=60).returncode == 0:
                return
        except (OSError, subprocess.TimeoutExpired):
            continue


def load_config(path):
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        raise AgentError("config %s: %s" % (path, e), EXIT_CONFIG)
    for key in ("jobId", "attempt", "command", "storage"):
        if key not in cfg:
            raise AgentError("config %s: missing %r" % (path, key), EXIT_CONFIG)
    if not hasattr(signal, str(cfg.get("checkpointSignal", "SIGTERM"))):
        raise AgentError("config: unknown signal %r" % cfg.get("checkpointSignal"), EXIT_CONFIG)
    return cfg


def main(argv):
    if len(argv) != 3 or argv[0] not in ("run", "sync", "restore") or argv[1] != "--config":
        sys.stderr.write("usage: spotwise_agent.py run|sync|restore --config FILE\n")
        return EXIT_CONFIG
    config_path = os.path.abspath(argv[2])
    try:
        cfg = load_config(config_path)
    except AgentError as e:
        sys.stderr.write("spotwise-agent: %s\n" % e)
        return e.code
    agent = Agent(cfg, os.path.dirname(config_path))
    if argv[0] != "run":
        try:
            bucket = make_bucket(cfg["storage"], agent.metadata)
            cp = Checkpoints(bucket, agent.ckpt_dir, agent.log, int(cfg.get("uploadBytesPerSecond") or 0))
            seq = cp.sync(attempt=agent.attempt, force=True) if argv[0] == "sync" else cp.restore()
            print(seq or 0)
            return EXIT_OK
        except (AgentError, OSError) as e:
            sys.stderr.write("spotwise-agent: %s\n" % e)
            return getattr(e, "code", EXIT_STORAGE)
    try:
        code = agent.run()
    except AgentError as e:
        code = e.code
        agent.log("failed: %s" % e)
        agent.heartbeat("failed", str(e))
    except Exception as e:  # the agent must always report and power off, whatever broke
        code = EXIT_FAILED
        agent.log("internal error: %r" % e)
        agent.heartbeat("failed", "agent internal error: %r" % e)
    finally:
        if agent.proc and agent.proc.poll() is None:
            agent._kill_group()
    power_off(cfg, agent.log)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
