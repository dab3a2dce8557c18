"""GCP in the lab: an OAuth token endpoint, a Compute Engine v1 contract server and the Cloud
Storage JSON API objects methods (media and resumable uploads, in memory).

Run with gcloud's bundled Python (it has google-auth 2.x, cryptography and gcloud's generated
compute v1 classes): see gcloud_python() in this file's caller, LabPeer.h / GcpLabTest.cpp.

Prints one JSON line: {"endpoint": base URL, "project", "serviceAccountKey": key JSON text (a key
generated for this run; its token_uri is our /token)}, then answers commands on stdin (see
labhttp.py) plus:
  {"cmd":"preempt","zone":Z,"name":N}       Compute Engine reclaims a Spot VM (DELETE action: the VM
                                            is deleted and a compute.instances.preempted operation
                                            is recorded)
  {"cmd":"operationError","code":C,"message":M}   the next insert's operation ends with this error
                                            (ZONE_RESOURCE_POOL_EXHAUSTED, QUOTA_EXCEEDED, ...)
  {"cmd":"expireTokens"[,"token":T]}       every issued token (or only T) is rejected from now on (401)
  {"cmd":"tokenLifetime","seconds":S}       tokens issued from now on expire after S seconds
  {"cmd":"instances"}                       the VMs the server holds (any state)
  {"cmd":"operations"}                      every operation, for asserting on requestIds

What it checks, like Compute Engine does:
* Authorization: Bearer token issued by /token in exchange for an RS256 JWT-bearer assertion that
  google.auth.jwt.decode verified against the key's public half (aud = our token URL, iss/sub the
  service account, scope present, iat/exp sane); expired or unknown tokens get 401.
* Bodies of instances.insert are validated against gcloud's compute v1 schema
  (compute_v1_messages.Instance): unknown fields, wrong types and bad enum values are 400s, as are
  GCE rules for Spot GPU VMs (names, labels, onHostMaintenance=TERMINATE with accelerators,
  automaticRestart=false for SPOT, requestId a UUID).
* State: PROVISIONING -> STAGING -> RUNNING over ~0.3 s; delete: STOPPING -> gone. Zone operations
  PENDING -> RUNNING -> DONE; operations/{op}/wait blocks until DONE (or 2 s).
* requestId: a repeated insert/delete with the same requestId returns the first operation.
"""

import base64
import json
import os
import re
import secrets
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labhttp  # noqa: E402

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    import google.auth
    import google.auth.jwt
    from googlecloudsdk.generated_clients.apis.compute.v1 import compute_v1_messages as compute
    from apitools.base.protorpclite import messages as pm
except ImportError as e:
    print(json.dumps({"error": "gcloud's python libraries missing: %s" % e}), flush=True)
    sys.exit(3)

PROJECT = "spotwise-lab"
SA_EMAIL = "spotwise-lab@spotwise-lab.iam.gserviceaccount.com"
NAME_RE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
LABEL_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE_RE = re.compile(r"^[a-z0-9_-]{0,63}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
STEP = 0.05  # seconds between state transitions


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000-00:00", time.gmtime())


def validate(value, cls, path, errors):
    """Checks JSON `value` against apitools message class `cls` (gcloud's compute v1 schema)."""
    if not isinstance(value, dict):
        errors.append("%s: expected an object for %s" % (path or "body", cls.__name__))
        return
    names = {f.name: f for f in cls.all_fields()}
    if set(names) == {"additionalProperties"}:  # a map (labels, metadata values...)
        prop = names["additionalProperties"].type
        value_field = prop.field_by_name("value")
        for k, v in value.items():
            check_field(v, value_field, "%s.%s" % (path, k), errors)
        return
    for key, v in value.items():
        field = names.get(key)
        if field is None:
            errors.append("Invalid JSON payload received. Unknown name \"%s\" at '%s': Cannot find field."
                          % (key, path or "instance"))
            continue
        where = "%s.%s" % (path, key) if path else key
        if field.repeated:
            if not isinstance(v, list):
                errors.append("%s: expected a list" % where)
                continue
            for i, item in enumerate(v):
                check_field(item, field, "%s[%d]" % (where, i), errors)
        else:
            check_field(v, field, where, errors)


def check_field(v, field, where, errors):
    if isinstance(field, pm.MessageField):
        validate(v, field.type, where, errors)
    elif isinstance(field, pm.EnumField):
        allowed = list(field.type.names())
        if v not in allowed:
            errors.append("Invalid value at '%s' (%s), \"%s\"" % (where, field.type.__name__, v))
    elif isinstance(field, pm.BooleanField):
        if not isinstance(v, bool):
            errors.append("Invalid value at '%s' (TYPE_BOOL), %r" % (where, v))
    elif isinstance(field, pm.IntegerField):
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and re.match(r"^-?\d+$", v))):
            errors.append("Invalid value at '%s' (TYPE_INT64), %r" % (where, v))
    elif isinstance(field, (pm.StringField, pm.BytesField)):
        if not isinstance(v, str):
            errors.append("Invalid value at '%s' (TYPE_STRING), %r" % (where, v))


def gce_error(code, message, reason, status):
    return code, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps({"error": {
        "code": code, "message": message, "errors": [{"message": message, "domain": "global", "reason": reason}],
        "status": status}}).encode()


class Gce:
    def __init__(self):
        self.lock = threading.Condition()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(20)
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.tokens = {}          # token -> expiry (unix)
        self.token_lifetime = 3599
        self.instances = {}       # (zone, name) -> dict
        self.operations = {}      # name -> dict (with private fields _done_at, _zone)
        self.by_request_id = {}   # requestId -> operation name
        self.next_op_error = None
        self.objects = {}         # (bucket, name) -> {"bytes", "generation", ...}
        self.sessions = {}        # resumable upload id -> state
        self.url = None
        self.next_id = 1000

    # --- OAuth ---------------------------------------------------------------------------------
    def token(self, body):
        form = parse_qs(body.decode())
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}).encode()
        assertion = (form.get("assertion") or [""])[0]
        try:
            claims = google.auth.jwt.decode(assertion, certs={self.key_id: self.public_pem},
                                            audience=[self.url + "/token", "https://oauth2.googleapis.com/token"])
        except Exception as e:
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"error": "invalid_grant", "error_description": "Invalid JWT Signature. (%s)" % e}).encode()
        if claims.get("iss") != SA_EMAIL or "scope" not in claims:
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"error": "invalid_grant", "error_description": "bad iss/scope"}).encode()
        scopes = claims["scope"].split()
        if not any(s in scopes for s in ("https://www.googleapis.com/auth/cloud-platform",
                                          "https://www.googleapis.com/auth/compute",
                                          "https://www.googleapis.com/auth/devstorage.read_write")):
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"error": "invalid_scope", "error_description": "no compute scope"}).encode()
        token = "ya29.lab-" + secrets.token_urlsafe(24)
        with self.lock:
            lifetime = self.token_lifetime
            self.tokens[token] = time.time() + lifetime
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}).encode()

    def authorized(self, headers):
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        with self.lock:
            expiry = self.tokens.get(auth[7:])
        return expiry is not None and expiry > time.time()

    # --- state ---------------------------------------------------------------------------------
    def advance(self):
        """Moves instances and operations along their lifecycles (called under the lock)."""
        t = time.time()
        for key, inst in list(self.instances.items()):
            age = t - inst["_since"]
            if inst["status"] == "PROVISIONING" and age > STEP:
                inst["status"], inst["_since"] = "STAGING", t
            elif inst["status"] == "STAGING" and age > STEP:
                inst["status"], inst["_since"] = "RUNNING", t
                inst["lastStartTimestamp"] = now_rfc3339()
            elif inst["status"] == "STOPPING" and age > STEP:
                del self.instances[key]
        for op in self.operations.values():
            if op["status"] != "DONE" and t >= op["_done_at"]:
                op["status"], op["progress"], op["endTime"] = "DONE", 100, now_rfc3339()
            elif op["status"] == "PENDING":
                op["status"] = "RUNNING"

    def new_operation(self, zone, op_type, target, request_id, error=None):
        self.next_id += 1
        name = "operation-%d-%s" % (int(time.time() * 1000), uuid.uuid4().hex[:12])
        op = {
            "kind": "compute#operation", "id": str(self.next_id), "name": name,
            "zone": "%s/projects/%s/zones/%s" % (self.url, PROJECT, zone),
            "operationType": op_type,
            "targetLink": "%s/projects/%s/zones/%s/instances/%s" % (self.url, PROJECT, zone, target),
            "targetId": str(self.next_id + 500000), "status": "PENDING", "progress": 0,
            "user": SA_EMAIL, "insertTime": now_rfc3339(), "startTime": now_rfc3339(),
            "selfLink": "%s/projects/%s/zones/%s/operations/%s" % (self.url, PROJECT, zone, name),
            "_done_at": time.time() + 2 * STEP, "_zone": zone,
        }
        if request_id:
            op["clientOperationId"] = request_id
            self.by_request_id[request_id] = name
        if error:
            op["error"] = {"errors": [{"code": error["code"], "message": error["message"]}]}
            op["httpErrorStatusCode"] = 503 if "EXHAUSTED" in error["code"] else 403
            op["httpErrorMessage"] = "SERVICE UNAVAILABLE" if "EXHAUSTED" in error["code"] else "FORBIDDEN"
        self.operations[name] = op
        return op

    @staticmethod
    def public(d):
        return {k: v for k, v in d.items() if not k.startswith("_")}

    # --- compute -------------------------------------------------------------------------------
    def insert(self, zone, query, body):
        request_id = (query.get("requestId") or [""])[0]
        if request_id and not UUID_RE.match(request_id):
            return gce_error(400, "Invalid value for field 'requestId': '%s'. The requestId must be a UUID." % request_id,
                             "invalid", "INVALID_ARGUMENT")
        try:
            data = json.loads(body)
        except ValueError:
            return gce_error(400, "Invalid JSON payload received.", "parseError", "INVALID_ARGUMENT")
        with self.lock:
            if request_id and request_id in self.by_request_id:
                self.advance()
                return 200, {"Content-Type": "application/json"}, json.dumps(
                    self.public(self.operations[self.by_request_id[request_id]])).encode()
        errors = []
        validate(data, compute.Instance, "", errors)
        errors += self.semantic(zone, data)
        if errors:
            return gce_error(400, errors[0], "invalid", "INVALID_ARGUMENT")
        name = data["name"]
        with self.lock:
            if (zone, name) in self.instances:
                return gce_error(409, "The resource 'projects/%s/zones/%s/instances/%s' already exists"
                                 % (PROJECT, zone, name), "alreadyExists", "ALREADY_EXISTS")
            error, self.next_op_error = self.next_op_error, None
            op = self.new_operation(zone, "insert", name, request_id, error)
            if not error:
                inst = dict(data)
                self.next_id += 1
                inst.update({
                    "kind": "compute#instance", "id": op["targetId"], "status": "PROVISIONING",
                    "zone": "%s/projects/%s/zones/%s" % (self.url, PROJECT, zone),
                    "creationTimestamp": now_rfc3339(),
                    "selfLink": "%s/projects/%s/zones/%s/instances/%s" % (self.url, PROJECT, zone, name),
                    "_since": time.time(),
                })
                self.instances[(zone, name)] = inst
            return 200, {"Content-Type": "application/json"}, json.dumps(self.public(op)).encode()

    def semantic(self, zone, data):
        errors = []
        name = data.get("name", "")
        if not NAME_RE.match(name):
            errors.append("Invalid value for field 'resource.name': '%s'. Must be a match of regex "
                          "'(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'" % name)
        mt = data.get("machineType", "")
        if not re.match(r"^(.*/)?zones/%s/machineTypes/[a-z0-9-]+$" % re.escape(zone), mt):
            errors.append("Invalid value for field 'resource.machineType': '%s'." % mt)
        for k, v in (data.get("labels") or {}).items():
            if not LABEL_KEY_RE.match(k) or not LABEL_VALUE_RE.match(v):
                errors.append("Invalid value for field 'resource.labels': '%s=%s'." % (k, v))
        disks = data.get("disks") or []
        if not any(d.get("boot") for d in disks):
            errors.append("Invalid value for field 'resource.disks': no boot disk.")
        if not data.get("networkInterfaces"):
            errors.append("Invalid value for field 'resource.networkInterfaces': at least one is required.")
        sched = data.get("scheduling") or {}
        gpus = data.get("guestAccelerators") or []
        builtin_gpu = re.search(r"/machineTypes/(a2|a3|g2)-", mt) is not None
        for g in gpus:
            if not re.match(r"^(.*/)?zones/%s/acceleratorTypes/[a-z0-9-]+$" % re.escape(zone), g.get("acceleratorType", "")):
                errors.append("Invalid value for field 'resource.guestAccelerators[0].acceleratorType': '%s'."
                              % g.get("acceleratorType"))
        if (gpus or builtin_gpu) and sched.get("onHostMaintenance") != "TERMINATE":
            errors.append("Instances with guest accelerators do not support live migration.")
        if sched.get("provisioningModel") == "SPOT":
            if sched.get("automaticRestart", True) is not False:
                errors.append("Invalid value for field 'resource.scheduling.automaticRestart': 'true'. "
                              "Spot instances cannot be set to automatically restart.")
            if sched.get("preemptible"):
                errors.append("Invalid value for field 'resource.scheduling.preemptible': 'true'. Use provisioningModel.")
        return errors

    def get(self, zone, name):
        with self.lock:
            self.advance()
            inst = self.instances.get((zone, name))
            if not inst:
                return gce_error(404, "The resource 'projects/%s/zones/%s/instances/%s' was not found"
                                 % (PROJECT, zone, name), "notFound", "NOT_FOUND")
            return 200, {"Content-Type": "application/json"}, json.dumps(self.public(inst)).encode()

    def delete(self, zone, name, query):
        request_id = (query.get("requestId") or [""])[0]
        with self.lock:
            self.advance()
            if request_id and request_id in self.by_request_id:
                return 200, {"Content-Type": "application/json"}, json.dumps(
                    self.public(self.operations[self.by_request_id[request_id]])).encode()
            inst = self.instances.get((zone, name))
            if not inst:
                return gce_error(404, "The resource 'projects/%s/zones/%s/instances/%s' was not found"
                                 % (PROJECT, zone, name), "notFound", "NOT_FOUND")
            inst["status"], inst["_since"] = "STOPPING", time.time()
            op = self.new_operation(zone, "delete", name, request_id)
            return 200, {"Content-Type": "application/json"}, json.dumps(self.public(op)).encode()

    @staticmethod
    def matches(inst, flt):
        """The filters Spotwise sends: labels.KEY = "VALUE", labels.KEY:* ; joined by AND."""
        if not flt:
            return True
        for term in re.split(r"\s+AND\s+", flt.strip()):
            term = term.strip().strip("()")
            m = re.match(r'^labels\.([a-z0-9_-]+)\s*=\s*"?([^"]*)"?$', term)
            if m:
                if (inst.get("labels") or {}).get(m.group(1)) != m.group(2):
                    return False
                continue
            m = re.match(r"^labels\.([a-z0-9_-]+)\s*:\s*\*$", term)
            if m:
                if m.group(1) not in (inst.get("labels") or {}):
                    return False
                continue
            m = re.match(r'^operationType\s*=\s*"?([^"]*)"?$', term)
            if m:
                if inst.get("operationType") != m.group(1):
                    return False
                continue
            raise ValueError("unsupported filter term: %s" % term)
        return True

    def aggregated(self, query, what):
        flt = (query.get("filter") or [""])[0]
        with self.lock:
            self.advance()
            items = {}
            try:
                if what == "instances":
                    for (zone, _), inst in sorted(self.instances.items()):
                        if self.matches(inst, flt):
                            items.setdefault("zones/" + zone, {"instances": []})["instances"].append(self.public(inst))
                else:
                    for op in self.operations.values():
                        if self.matches(op, flt):
                            items.setdefault("zones/" + op["_zone"], {"operations": []})["operations"].append(self.public(op))
            except ValueError as e:
                return gce_error(400, "Invalid value for field 'filter': '%s'. %s" % (flt, e), "invalid", "INVALID_ARGUMENT")
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"kind": "compute#%sAggregatedList" % what[:-1], "id": "projects/%s/aggregated/%s" % (PROJECT, what),
             "items": items, "selfLink": "%s/projects/%s/aggregated/%s" % (self.url, PROJECT, what)}).encode()

    def operation(self, zone, name, wait):
        deadline = time.time() + 2.0
        with self.lock:
            while True:
                self.advance()
                op = self.operations.get(name)
                if not op or op["_zone"] != zone:
                    return gce_error(404, "The resource 'projects/%s/zones/%s/operations/%s' was not found"
                                     % (PROJECT, zone, name), "notFound", "NOT_FOUND")
                if not wait or op["status"] == "DONE" or time.time() >= deadline:
                    return 200, {"Content-Type": "application/json"}, json.dumps(self.public(op)).encode()
                self.lock.wait(0.05)

    def handle(self, handler, method, path, query_text, headers, body):
        query = parse_qs(query_text)
        if path == "/token" and method == "POST":
            return self.token(body)
        if not self.authorized(headers):
            return gce_error(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                             "login cookie or other valid authentication credential.", "authError", "UNAUTHENTICATED")
        if path.startswith("/storage/v1/") or path.startswith("/upload/storage/v1/"):
            return self.storage(method, path, query, headers, body)
        m = re.match(r"^/compute/v1/projects/([^/]+)/(.*)$", path)
        if not m or m.group(1) != PROJECT:
            return gce_error(404, "The resource '%s' was not found" % path, "notFound", "NOT_FOUND")
        rest = m.group(2)
        if rest in ("aggregated/instances", "aggregated/operations") and method == "GET":
            return self.aggregated(query, rest.split("/")[1])
        m = re.match(r"^zones/([a-z0-9-]+)/instances$", rest)
        if m and method == "POST":
            return self.insert(m.group(1), query, body)
        m = re.match(r"^zones/([a-z0-9-]+)/instances/([^/]+)$", rest)
        if m and method == "GET":
            return self.get(m.group(1), unquote(m.group(2)))
        if m and method == "DELETE":
            return self.delete(m.group(1), unquote(m.group(2)), query)
        m = re.match(r"^zones/([a-z0-9-]+)/operations/([^/]+)(/wait)?$", rest)
        if m and ((method == "GET" and not m.group(3)) or (method == "POST" and m.group(3))):
            return self.operation(m.group(1), m.group(2), bool(m.group(3)))
        return gce_error(404, "no such method %s %s" % (method, path), "notFound", "NOT_FOUND")

    # --- Cloud Storage JSON API (objects in one in-memory bucket per name) -----------------------
    def object_resource(self, bucket, name, data):
        import hashlib
        return {"kind": "storage#object", "bucket": bucket, "name": name, "size": str(len(data["bytes"])),
                "generation": str(data["generation"]), "etag": data["etag"], "updated": data["updated"],
                "md5Hash": base64.b64encode(hashlib.md5(data["bytes"]).digest()).decode(),
                "contentType": data.get("contentType", "application/octet-stream")}

    def store_object(self, bucket, name, payload, content_type):
        with self.lock:
            self.next_id += 1
            data = {"bytes": payload, "generation": self.next_id, "etag": "CL%dEAE=" % self.next_id,
                    "updated": now_rfc3339(), "contentType": content_type}
            self.objects[(bucket, name)] = data
            return self.object_resource(bucket, name, data)

    def storage(self, method, path, query, headers, body):
        first = lambda k: (query.get(k) or [""])[0]  # noqa: E731
        json_ok = lambda status, obj: (status, {"Content-Type": "application/json; charset=UTF-8"},  # noqa: E731
                                       json.dumps(obj).encode())
        m = re.match(r"^/upload/storage/v1/b/([^/]+)/o$", path)
        if m and method == "POST":
            bucket, name = m.group(1), first("name")
            if not name:
                return gce_error(400, "Required parameter: name", "required", "INVALID_ARGUMENT")
            kind = first("uploadType")
            if kind == "media":
                return json_ok(200, self.store_object(bucket, name, body, headers.get("Content-Type", "")))
            if kind == "resumable":
                total = headers.get("X-Upload-Content-Length")
                session = secrets.token_urlsafe(16)
                with self.lock:
                    self.sessions[session] = {"bucket": bucket, "name": name, "bytes": b"",
                                              "total": int(total) if total else None}
                return 200, {"Location": "%s/upload/storage/v1/b/%s/o?uploadType=resumable&upload_id=%s"
                             % (self.url, bucket, session), "Content-Length": "0"}, b""
            return gce_error(400, "Invalid upload type: %s" % kind, "invalid", "INVALID_ARGUMENT")
        if m and method == "PUT" and first("upload_id"):
            with self.lock:
                s = self.sessions.get(first("upload_id"))
            if not s:
                return gce_error(404, "No such upload session", "notFound", "NOT_FOUND")
            rng = headers.get("Content-Range", "")
            cm = re.match(r"^bytes (\*|(\d+)-(\d+))/(\*|\d+)$", rng)
            if not cm:
                return gce_error(400, "Bad Content-Range: %s" % rng, "invalid", "INVALID_ARGUMENT")
            total = None if cm.group(4) == "*" else int(cm.group(4))
            with self.lock:
                if cm.group(1) != "*":
                    start, end = int(cm.group(2)), int(cm.group(3))
                    if start != len(s["bytes"]) or end - start + 1 != len(body):
                        return gce_error(400, "Content-Range %s does not continue at %d" % (rng, len(s["bytes"])),
                                         "invalid", "INVALID_ARGUMENT")
                    if total is None and len(body) % (256 * 1024):
                        return gce_error(400, "Chunks must be multiples of 256 KiB", "invalid", "INVALID_ARGUMENT")
                    s["bytes"] += body
                done = total is not None and len(s["bytes"]) == total
            if done:
                with self.lock:
                    del self.sessions[first("upload_id")]
                return json_ok(200, self.store_object(s["bucket"], s["name"], s["bytes"], "application/octet-stream"))
            h = {"Content-Length": "0"}
            if s["bytes"]:
                h["Range"] = "bytes=0-%d" % (len(s["bytes"]) - 1)
            return 308, h, b""
        m = re.match(r"^/storage/v1/b/([^/]+)/o$", path)
        if m and method == "GET":
            prefix, token = first("prefix"), first("pageToken")
            with self.lock:
                names = sorted(n for (b, n) in self.objects if b == m.group(1) and n.startswith(prefix))
                start = names.index(token) if token in names else 0
                page = names[start:start + 2]  # small pages, so paging is exercised
                items = [self.object_resource(m.group(1), n, self.objects[(m.group(1), n)]) for n in page]
                out = {"kind": "storage#objects", "items": items}
                if start + 2 < len(names):
                    out["nextPageToken"] = names[start + 2]
            return json_ok(200, out)
        m = re.match(r"^/storage/v1/b/([^/]+)/o/(.+)$", path)
        if m:
            bucket, name = m.group(1), unquote(m.group(2))
            with self.lock:
                data = self.objects.get((bucket, name))
                if method == "DELETE" and data:
                    del self.objects[(bucket, name)]
            if not data:
                return gce_error(404, "No such object: %s/%s" % (bucket, name), "notFound", "NOT_FOUND")
            if method == "DELETE":
                return 204, {}, b""
            if method == "GET" and first("alt") == "media":
                return 200, {"Content-Type": data["contentType"] or "application/octet-stream",
                             "ETag": data["etag"]}, data["bytes"]
            if method == "GET":
                return json_ok(200, self.object_resource(bucket, name, data))
        return gce_error(404, "no such storage method %s %s" % (method, path), "notFound", "NOT_FOUND")

    # --- commands ------------------------------------------------------------------------------
    def preempt(self, req):
        with self.lock:
            inst = self.instances.pop((req["zone"], req["name"]))
            op = self.new_operation(req["zone"], "compute.instances.preempted", req["name"], None)
            op["targetId"] = inst["id"]
            op["statusMessage"] = "Instance was preempted."
            op["user"] = "system"
            op["_done_at"] = 0
            self.advance()
            return op["name"]

    def operation_error(self, req):
        with self.lock:
            self.next_op_error = {"code": req["code"], "message": req.get("message", req["code"])}

    def expire_tokens(self, req):
        with self.lock:
            for t in self.tokens:
                if "token" not in req or req["token"] == t:
                    self.tokens[t] = 0

    def set_token_lifetime(self, req):
        with self.lock:
            self.token_lifetime = int(req["seconds"])

    def list_instances(self, req):
        with self.lock:
            self.advance()
            return [self.public(i) for i in self.instances.values()]

    def list_operations(self, req):
        with self.lock:
            return [self.public(o) for o in self.operations.values()]


def main():
    gce = Gce()
    server = labhttp.LabServer(gce).start()
    gce.url = server.url
    key_json = json.dumps({
        "type": "service_account", "project_id": PROJECT, "private_key_id": gce.key_id,
        "private_key": gce.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode(),
        "client_email": SA_EMAIL, "client_id": "1234567890", "token_uri": server.url + "/token",
    })
    commands = labhttp.book_commands(server.book)
    commands.update({"preempt": gce.preempt, "operationError": gce.operation_error,
                     "expireTokens": gce.expire_tokens, "tokenLifetime": gce.set_token_lifetime, "instances": gce.list_instances,
                     "operations": gce.list_operations})
    labhttp.control_loop({"endpoint": server.url, "project": PROJECT, "serviceAccountKey": key_json,
                          "serviceAccount": SA_EMAIL, "googleAuth": google.auth.__version__}, commands)
    server.shutdown()


if __name__ == "__main__":
    main()
