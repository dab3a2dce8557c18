#!/usr/bin/env python3
"""Signs the requests described on stdin (JSON list) with botocore's own SigV4 signers.

Each case: method, url, headers [[name, value]...], body, region, service, s3, unsigned,
akid, secret, token, now (Unix seconds), presign (0 or the expiry in seconds).
Prints a JSON list: {"authorization": ...} or {"url": ...} per case.
Exit status 3 when botocore is not importable (the caller decides whether that is a skip).
"""
import datetime
import json
import sys
from unittest import mock

try:
    import botocore
    import botocore.auth as auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
except ImportError as error:  # pragma: no cover - environment dependent
    print(f"botocore is not importable: {error}", file=sys.stderr)
    sys.exit(3)


def sign(case):
    credentials = Credentials(case["akid"], case["secret"], case["token"] or None)
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    now = datetime.datetime.fromtimestamp(case["now"], datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch.object(auth, "get_current_datetime", return_value=now):
        if case["presign"]:
            cls = auth.S3SigV4QueryAuth if case["s3"] else auth.SigV4QueryAuth
            cls(credentials, case["service"], case["region"], expires=case["presign"]).add_auth(request)
            return {"url": request.url}
        cls = auth.S3SigV4Auth if case["s3"] else auth.SigV4Auth
        if case["s3"]:
            request.context["client_config"] = Config(s3={"payload_signing_enabled": not case["unsigned"]})
        elif case["unsigned"]:
            request.context["payload_signing_enabled"] = False
        cls(credentials, case["service"], case["region"]).add_auth(request)
        return {"authorization": request.headers["Authorization"]}


def main():
    cases = json.load(sys.stdin)
    json.dump({"botocore": botocore.__version__, "results": [sign(c) for c in cases]}, sys.stdout)


if __name__ == "__main__":
    main()
