#!/usr/bin/env python3
"""Verifies RS256 JWTs with google-auth's own jwt.decode.

stdin: JSON {"certificate": PEM, "kid": str, "audience": str, "tokens": [jwt, ...]}
stdout: JSON {"google_auth": version, "results": [{"ok": bool, "claims": {...} | "error": str}, ...]}
Exit status 3 when google-auth is not importable.
"""
import json
import sys

try:
    from google.auth import jwt
    try:
        from google.auth import version as _version
        VERSION = _version.__version__
    except ImportError:  # google-auth 1.x
        import pkg_resources
        VERSION = pkg_resources.get_distribution("google-auth").version
except ImportError as error:
    print(f"google-auth is not importable: {error}", file=sys.stderr)
    sys.exit(3)


def main():
    request = json.load(sys.stdin)
    certs = {request["kid"]: request["certificate"]}
    results = []
    for token in request["tokens"]:
        try:
            claims = jwt.decode(token, certs=certs, audience=request["audience"])
            results.append({"ok": True, "claims": claims})
        except Exception as error:  # google-auth raises ValueError and friends
            results.append({"ok": False, "error": f"{type(error).__name__}: {error}"})
    json.dump({"google_auth": VERSION, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
