"""AWS in the lab: moto (EC2, S3, IAM, STS, SSM) with SigV4 checking on, behind a recording,
fault-injecting proxy.

Usage: python3 moto_peer.py        (the pyenv python3 that has moto 5.2)
Prints one JSON line: {"endpoint": proxy URL, "direct": moto URL, "accessKeyId", "secretAccessKey",
"roleArn" (a role that key may assume, allowed everything), "region", "gpuAmi", "ssmParameter",
"accountId"}, then answers commands on stdin (see labhttp.py)
plus:
  {"cmd":"preempt","region":R,"id":I}   AWS reclaims a spot instance (Server.SpotInstanceTermination)
  {"cmd":"runCount","region":R}         instances moto holds in R, any state (proves "no second launch")
  {"cmd":"instances"}                   every instance in the lab regions: id, region, state, tags and the
                                        user-data as cloud-init reads it (base64 and gzip undone)
  {"cmd":"shutdown","region":R,"id":I}  the instance powered itself off (InstanceInitiatedShutdownBehavior
                                        terminate): EC2 terminates it (Client.InstanceInitiatedShutdown)
  {"cmd":"instanceCredentials"}         an IAM identity that may use S3 only (what an instance role grants),
                                        as the instance metadata service serves it: {"role", "AccessKeyId", ...}
  {"cmd":"serverClock","offset":S}      AWS's clock runs S seconds ahead of this machine's (0: in step)

moto does not check the age of X-Amz-Date; AWS refuses a request signed more than 15 minutes away
from its clock (S3: 403 RequestTimeTooSkewed; EC2, SSM and STS: 400 RequestExpired / "Signature
expired"), saying its own time in Date. The proxy plays that check against its (offset) clock.

The first three calls moto receives run unchecked (INITIAL_NO_AUTH_ACTION_COUNT=3): they create
the IAM user, its access key and an allow-all policy. Every later call must carry a valid SigV4
signature from that key (wrong secret: EC2 401 AuthFailure, S3 403 SignatureDoesNotMatch).
"""

import calendar
import email.utils
import logging
import json
import os
import sys
import time

os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
os.environ["MOTO_ENABLE_AMI_VALIDATION"] = "true"  # an unknown ImageId fails like on AWS (InvalidAMIID.NotFound)
for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
    os.environ.pop(k, None)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labhttp  # noqa: E402

try:
    import boto3  # noqa: E402
    from moto.server import ThreadedMotoServer  # noqa: E402
except ImportError as e:
    print(json.dumps({"error": "moto/boto3 missing: %s" % e}), flush=True)
    sys.exit(3)

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "spotwise-lab"
LAB_REGIONS = ("us-east-1", "us-west-2")
LAB_ROLE = "spotwise-lab-role"  # assumable by the lab user (its ARN is "roleArn")
INSTANCE_PROFILE = "spotwise-jobs"  # the instance profile job VMs get (RunInstances checks it exists)
# The public SSM parameter of AWS's Deep Learning AMI (GPU, OSS NVIDIA driver, Ubuntu 22.04).
DLAMI_PARAMETER = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"


class SkewCheckingProxy(labhttp.Proxy):
    """AWS's 15-minute window for the signing time, which moto leaves out, in front of moto."""

    WINDOW = 15 * 60

    def __init__(self, upstream_port):
        super().__init__(upstream_port)
        self.offset = 0

    def handle(self, handler, method, path, query, headers, body):
        amz = headers.get("X-Amz-Date", "")
        now = time.time() + self.offset
        if amz and headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256"):
            sent = calendar.timegm(time.strptime(amz, "%Y%m%dT%H%M%SZ"))
            if abs(sent - now) > self.WINDOW:
                date = {"Date": email.utils.formatdate(now, usegmt=True)}
                server_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
                if "Action=" in query or "Action=" in body.decode("utf-8", "replace") or "X-Amz-Target" in headers:
                    xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestExpired</Code>"
                           "<Message>Request has expired. Timestamp date is %s</Message></Error></Errors>"
                           "<RequestID>5e2bd0e4-0000-4000-8000-000000000000</RequestID></Response>" % amz)
                    return 400, dict(date, **{"Content-Type": "text/xml;charset=UTF-8"}), xml.encode()
                xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>RequestTimeTooSkewed</Code>"
                       "<Message>The difference between the request time and the current time is too large.</Message>"
                       "<RequestTime>%s</RequestTime><ServerTime>%s</ServerTime><MaxAllowedSkewMilliseconds>900000"
                       "</MaxAllowedSkewMilliseconds><RequestId>4442587FB7D0A2F9</RequestId></Error>" % (amz, server_time))
                return 403, dict(date, **{"Content-Type": "application/xml"}), xml.encode()
        return super().handle(handler, method, path, query, headers, body)


def main():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    moto.start()
    _, port = moto.get_host_and_port()
    direct = "http://127.0.0.1:%d" % port

    iam = boto3.client("iam", endpoint_url=direct, region_name=REGION,
                       aws_access_key_id="unchecked", aws_secret_access_key="unchecked")
    user = iam.create_user(UserName="spotwise-lab")["User"]
    key = iam.create_access_key(UserName="spotwise-lab")["AccessKey"]
    allow_all = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    iam.put_user_policy(UserName="spotwise-lab", PolicyName="spotwise-lab-all", PolicyDocument=allow_all)
    # A role the lab user may assume (role_arn + source_profile profiles), allowed everything.
    signed_iam = boto3.client("iam", endpoint_url=direct, region_name=REGION, aws_access_key_id=key["AccessKeyId"],
                              aws_secret_access_key=key["SecretAccessKey"])
    role = signed_iam.create_role(RoleName=LAB_ROLE, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user["Arn"]},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]
    signed_iam.put_role_policy(RoleName=LAB_ROLE, PolicyName="spotwise-lab-all", PolicyDocument=allow_all)

    from moto.ec2.models import ec2_backends
    from moto.ssm.models import Parameter, ssm_backends
    from moto.core.utils import utcnow
    gpu_amis = {}
    for region in LAB_REGIONS:  # the DLAMI parameter names a real moto image in each lab region
        ami = sorted(ec2_backends[ACCOUNT][region].amis.keys())[0]
        gpu_amis[region] = ami
        ssm_backends[ACCOUNT][region]._parameters[DLAMI_PARAMETER] = [Parameter(
            account_id=ACCOUNT, name=DLAMI_PARAMETER, value=ami, parameter_type="String",
            description="lab: Deep Learning AMI", allowed_pattern=None, keyid=None,
            last_modified_date=utcnow(), version=1, data_type="aws:ec2:image")]
    gpu_ami = gpu_amis[REGION]

    from moto.iam.models import iam_backends
    iam_backends[ACCOUNT]["aws"].create_instance_profile(name=INSTANCE_PROFILE, path="/", role_names=[])

    from moto.s3.models import s3_backends
    s3_backends[ACCOUNT]["aws"].create_bucket(BUCKET, REGION)

    proxy = SkewCheckingProxy(port)
    server = labhttp.LabServer(proxy).start()

    def preempt(req):
        backend = ec2_backends[ACCOUNT][req.get("region", REGION)]
        from moto.ec2.models.instances import StateReason
        instance = backend.get_instance(req["id"])
        instance.terminate()
        instance.state_reason = StateReason(
            "Server.SpotInstanceTermination: Spot instance termination",
            "Server.SpotInstanceTermination")
        return instance.id

    def run_count(req):
        backend = ec2_backends[ACCOUNT][req.get("region", REGION)]
        return sum(len(r.instances) for r in backend.reservations.values())

    def instances(req):
        import base64
        import gzip
        out = []
        for region in LAB_REGIONS:
            for reservation in ec2_backends[ACCOUNT][region].reservations.values():
                for i in reservation.instances:
                    data = i.user_data[0] if isinstance(i.user_data, list) and i.user_data else (i.user_data or "")
                    raw = data if isinstance(data, bytes) else str(data).encode()
                    try:
                        raw = base64.b64decode(raw, validate=True)
                    except Exception:
                        pass
                    if raw[:2] == b"\x1f\x8b":
                        raw = gzip.decompress(raw)
                    out.append({"id": i.id, "region": region, "state": i.state,
                                "tags": {t["key"]: t["value"] for t in i.get_tags()} if hasattr(i, "get_tags") else
                                {k: v for k, v in ec2_backends[ACCOUNT][region].tags.get(i.id, {}).items()},
                                "userData": raw.decode("utf-8", "replace")})
        return out

    def shutdown(req):
        backend = ec2_backends[ACCOUNT][req.get("region", REGION)]
        from moto.ec2.models.instances import StateReason
        instance = backend.get_instance(req["id"])
        instance.terminate()
        instance.state_reason = StateReason(
            "Client.InstanceInitiatedShutdown: Instance initiated shutdown", "Client.InstanceInitiatedShutdown")
        return instance.id

    def instance_credentials(req):
        ep_iam = boto3.client("iam", endpoint_url=direct, region_name=REGION, aws_access_key_id=key["AccessKeyId"],
                              aws_secret_access_key=key["SecretAccessKey"])
        name = "spotwise-instance-%d" % int(time.time() * 1000)
        ep_iam.create_user(UserName=name)
        k = ep_iam.create_access_key(UserName=name)["AccessKey"]
        ep_iam.put_user_policy(UserName=name, PolicyName="s3-only", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        return {"role": INSTANCE_PROFILE, "AccessKeyId": k["AccessKeyId"], "SecretAccessKey": k["SecretAccessKey"],
                "Code": "Success", "Type": "AWS-HMAC"}

    commands = labhttp.book_commands(server.book)
    commands["instances"] = instances
    commands["shutdown"] = shutdown
    commands["instanceCredentials"] = instance_credentials
    commands["preempt"] = preempt
    commands["runCount"] = run_count

    def server_clock(req):
        proxy.offset = int(req.get("offset", 0))

    commands["serverClock"] = server_clock
    labhttp.control_loop({
        "endpoint": server.url, "direct": direct, "region": REGION, "accountId": ACCOUNT,
        "accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"], "roleArn": role["Arn"],
        "gpuAmi": gpu_ami, "gpuAmis": gpu_amis, "instanceProfile": INSTANCE_PROFILE, "bucket": BUCKET, "ssmParameter": DLAMI_PARAMETER,
    }, commands)
    server.shutdown()
    moto.stop()


if __name__ == "__main__":
    main()
