# Azure side of AgentAzuriteLabTest: SAS tokens made with the well-known Azurite key (checked
# against shared/fixtures/signing/azure-storage vectors), container creation, blob put/get/list.
import base64, hashlib, hmac, json, sys, urllib.parse, urllib.request, urllib.error
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
def sign(text):
    return base64.b64encode(hmac.new(base64.b64decode(KEY), text.encode(), hashlib.sha256).digest()).decode()
def container_sas(container, perm, expiry, version="2021-12-02"):
    sts = "\n".join([perm, "", expiry, "/blob/%s/%s" % (ACCOUNT, container), "", "", "", version, "c", "", "", "", "", "", "", ""])
    q = [("se", expiry), ("sp", perm), ("sv", version), ("sr", "c"), ("sig", sign(sts))]
    return urllib.parse.urlencode(q, quote_via=urllib.parse.quote, safe="/")
def account_sas(perm, expiry, version="2021-12-02", services="b", types="sco"):
    sts = "\n".join([ACCOUNT, perm, services, types, "", expiry, "", "", version, "", ""])
    q = [("se", expiry), ("sp", perm), ("sv", version), ("ss", services), ("srt", types), ("sig", sign(sts))]
    return urllib.parse.urlencode(q, quote_via=urllib.parse.quote, safe="/")
def call(method, url, data=None, headers=None):
    h = {"x-ms-version": "2021-12-02"}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r: return r.status, r.read()
    except urllib.error.HTTPError as e: return e.code, e.read()
cmd = sys.argv[1]
if cmd == "vectors":
    # Two vectors from shared/fixtures/signing/azure-storage/sharedkey-sas-vectors.json (official SDK).
    v = [{"kind": "container", "container": "cont1", "permission": "l", "expiry": "2030-01-01T00:00:00Z",
          "token": "se=2030-01-01T00%3A00%3A00Z&sp=l&sv=2021-12-02&sr=c&sig=SrcZ1nOlSdwgv3Ke2ejZCE5E7JFFK4N8K4tFLAV1uwA%3D"},
         {"kind": "account", "services": "b", "resource_types": "s", "permission": "l", "expiry": "2030-01-01T00:00:00Z",
          "token": "se=2030-01-01T00%3A00%3A00Z&sp=l&sv=2021-12-02&ss=b&srt=s&sig=MpHWVaisvpcxgcFeBS3klhuDQnVnZr5BKg/6P3fgzQ4%3D"}]
    c = [x for x in v if x["kind"] == "container"][0]
    a = [x for x in v if x["kind"] == "account"][0]
    ok1 = container_sas(c["container"], c["permission"], c["expiry"]) == c["token"]
    ok2 = account_sas(a["permission"], a["expiry"], services=a["services"], types=a["resource_types"]) == a["token"]
    print(ok1, ok2); print(container_sas(c["container"], c["permission"], c["expiry"])); print(c["token"])
    sys.exit(0 if ok1 and ok2 else 1)
base = sys.argv[2]  # http://127.0.0.1:PORT/devstoreaccount1
if cmd == "mkcontainer":
    s, b = call("PUT", "%s/spotwise?restype=container&%s" % (base, account_sas("racwdl", "2030-01-01T00:00:00Z")))
    print(s); sys.exit(0 if s in (201, 409) else 1)
if cmd == "sas":
    print(container_sas("spotwise", "racwdl", "2030-01-01T00:00:00Z")); sys.exit(0)
sas = container_sas("spotwise", "racwdl", "2030-01-01T00:00:00Z")
if cmd == "put":
    s, b = call("PUT", "%s/spotwise/%s?%s" % (base, sys.argv[3], sas), open(sys.argv[4], "rb").read(), {"x-ms-blob-type": "BlockBlob"})
    sys.exit(0 if s == 201 else 1)
if cmd == "get":
    s, b = call("GET", "%s/spotwise/%s?%s" % (base, sys.argv[3], sas))
    sys.stdout.buffer.write(b); sys.exit(0 if s == 200 else 1)
if cmd == "list":
    s, b = call("GET", "%s/spotwise?restype=container&comp=list&%s" % (base, sas))
    sys.stdout.buffer.write(b); sys.exit(0 if s == 200 else 1)
