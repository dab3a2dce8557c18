"""Checks EC2 Query requests against botocore's EC2 service model (an independent source).

stdin: a JSON list of {"action": "RunInstances", "params": [["ImageId", "ami-1"], ...]}
       (Action and Version may be included; they are checked too)
stdout: a JSON list, one entry per request: {"action", "errors": [...]}

For each request:
1. every flat name ("TagSpecification.1.Tag.2.Key") is resolved against the operation's input
   shape the way the ec2 protocol serialises it (queryName, else capitalised locationName, else
   capitalised member name; lists flattened as Name.N), rejecting unknown names, bad list
   indexes, values that are not valid integers/booleans/enum members/timestamps;
2. the rebuilt input is validated by botocore's own ParamValidator (required members, ranges);
3. botocore's own ec2 serializer serialises the rebuilt input, and its parameter set must equal
   ours exactly (so nothing we send would be dropped or renamed by AWS's own SDK).
"""

import base64
import json
import sys

import botocore.session
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator


def serialized_name(member_name, shape):
    if "queryName" in shape.serialization:
        return shape.serialization["queryName"]
    if "name" in shape.serialization:
        n = shape.serialization["name"]
        return n[0].upper() + n[1:]
    return member_name[0].upper() + member_name[1:]


def convert(value, shape, path, errors):
    t = shape.type_name
    if t == "string":
        if shape.enum and value not in shape.enum:
            errors.append("%s: %r is not one of %s" % (path, value, shape.enum))
        return value
    if t in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            errors.append("%s: %r is not an integer" % (path, value))
            return 0
    if t == "boolean":
        if value not in ("true", "false"):
            errors.append("%s: %r is not true/false" % (path, value))
        return value == "true"
    if t in ("double", "float"):
        try:
            return float(value)
        except ValueError:
            errors.append("%s: %r is not a number" % (path, value))
            return 0.0
    if t == "blob":
        try:
            return base64.b64decode(value, validate=True)
        except Exception:
            errors.append("%s: blob is not base64" % path)
            return b""
    if t == "timestamp":
        return value
    errors.append("%s: a %s needs members, got a value" % (path, t))
    return None


def insert(target, shape, parts, value, path, errors):
    """Places the flat parameter `parts` (split on '.') into `target` (a dict for `shape`)."""
    if shape.type_name != "structure":
        errors.append("%s: not a structure" % path)
        return
    head = parts[0]
    for member_name, member_shape in shape.members.items():
        if serialized_name(member_name, member_shape) == head:
            break
    else:
        errors.append("%s: unknown parameter %r (not in %s)" % (path, head, shape.name))
        return
    rest = parts[1:]
    here = path + ("." if path else "") + head
    if member_shape.type_name == "list":
        if not rest or not rest[0].isdigit() or int(rest[0]) < 1:
            errors.append("%s: a list needs a 1-based index" % here)
            return
        index = int(rest[0]) - 1
        items = target.setdefault(member_name, [])
        while len(items) <= index:
            items.append(None)
        element = member_shape.member
        if element.type_name == "structure":
            if items[index] is None:
                items[index] = {}
            if len(rest) < 2:
                errors.append("%s.%s: a structure needs members" % (here, rest[0]))
                return
            insert(items[index], element, rest[1:], value, here + "." + rest[0], errors)
        else:
            if len(rest) != 1:
                errors.append("%s: too deep for a list of %s" % (here, element.type_name))
                return
            items[index] = convert(value, element, here + "." + rest[0], errors)
        return
    if member_shape.type_name == "structure":
        if not rest:
            errors.append("%s: a structure needs members" % here)
            return
        insert(target.setdefault(member_name, {}), member_shape, rest, value, here, errors)
        return
    if rest:
        errors.append("%s: %s is a %s, not a structure" % (here, member_name, member_shape.type_name))
        return
    if member_name in target:
        errors.append("%s: given twice" % here)
    target[member_name] = convert(value, member_shape, here, errors)


def check(model, serializer, request):
    errors = []
    action = request["action"]
    params = [tuple(p) for p in request["params"]]
    try:
        op = model.operation_model(action)
    except Exception:
        return [action + ": no such EC2 operation"]
    given = {}
    for k, v in params:
        if k in given:
            errors.append("%s given twice" % k)
        given[k] = v
    if given.get("Action", action) != action:
        errors.append("Action is %r, expected %r" % (given.get("Action"), action))
    if given.get("Version", model.api_version) != model.api_version:
        errors.append("Version %r is not the model's %r" % (given.get("Version"), model.api_version))
    data = {}
    for k, v in params:
        if k in ("Action", "Version"):
            continue
        insert(data, op.input_shape, k.split("."), v, "", errors)
    for k, items in list(data.items()):
        if isinstance(items, list) and any(i is None for i in items):
            errors.append("%s: list indexes are not contiguous from 1" % k)
    if errors:
        return errors
    report = ParamValidator().validate(data, op.input_shape)
    if report.has_errors():
        errors.append("botocore validation: " + report.generate_report())
        return errors
    body = serializer.serialize_to_request(data, op)["body"]
    theirs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in body.items()}
    ours = dict(given)
    ours.setdefault("Action", action)
    ours.setdefault("Version", model.api_version)
    for k in sorted(set(theirs) | set(ours)):
        if k not in ours:
            errors.append("botocore would also send %s=%s" % (k, theirs[k]))
        elif k not in theirs:
            errors.append("botocore would not send %s" % k)
        elif theirs[k] != ours[k] and not (k.endswith("MaxPrice")):
            errors.append("%s: botocore sends %r, we send %r" % (k, theirs[k], ours[k]))
    return errors


def main():
    session = botocore.session.get_session()
    model = session.get_service_model("ec2")
    serializer = create_serializer("ec2")
    requests = json.load(sys.stdin)
    out = [{"action": r["action"], "errors": check(model, serializer, r)} for r in requests]
    print(json.dumps({"botocore": botocore.__version__, "apiVersion": model.api_version, "results": out}))


if __name__ == "__main__":
    main()
