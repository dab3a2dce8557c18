#!/usr/bin/env python3
"""moto (IAM + STS) on a free loopback port with SigV4 checking on, for credential tests.

The first calls run unchecked (INITIAL_NO_AUTH_ACTION_COUNT) and create an IAM user with an
allow-all policy, its access key and a role. Prints one JSON line {"port", "accessKeyId",
"secretAccessKey", "roleArn", "userArn"} and stops when stdin closes. Exit 3 when moto is missing.
"""
import json
import logging
import os
import sys

os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "5"
for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
    os.environ.pop(k, None)
try:
    import boto3
    from moto.server import ThreadedMotoServer
except ImportError as error:
    print(json.dumps({"error": f"moto/boto3 missing: {error}"}), flush=True)
    sys.exit(3)


def main():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    user = iam.create_user(UserName="spotwise-test")["User"]
    key = iam.create_access_key(UserName="spotwise-test")["AccessKey"]
    policy = iam.create_policy(PolicyName="allow-all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]
    iam.attach_user_policy(UserName="spotwise-test", PolicyArn=policy["Arn"])
    role = iam.create_role(RoleName="spotwise-launcher", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user["Arn"]},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]
    print(json.dumps({"port": port, "accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"],
                      "roleArn": role["Arn"], "userArn": user["Arn"]}), flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
