"""Records the EC2 XML samples in tests/data/aws from the lab's moto (python3 record_aws_samples.py)."""
import subprocess, json, sys, boto3, os
out=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "aws")
p=subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "moto_peer.py")],stdin=subprocess.PIPE,stdout=subprocess.PIPE,text=True)
ready=json.loads(p.stdout.readline())
def cmd(**c):
    p.stdin.write(json.dumps(c)+"\n"); p.stdin.flush(); return json.loads(p.stdout.readline())
ec2=boto3.client("ec2",endpoint_url=ready["endpoint"],aws_access_key_id=ready["accessKeyId"],aws_secret_access_key=ready["secretAccessKey"],region_name="us-east-1")
raw={}
def grab(http_response, operation_name, **kw):
    raw[operation_name]=http_response.raw.data if hasattr(http_response.raw,'data') else http_response.content
ec2.meta.events.register('before-parse.ec2.*', lambda **kw: raw.__setitem__(kw['operation_model'].name, kw['response_dict']['body']))
tags=[{"ResourceType":"instance","Tags":[{"Key":"spotwise-job","Value":"job-42"},{"Key":"spotwise-attempt","Value":"2"}]}]
r=ec2.run_instances(ImageId=ready["gpuAmi"],MinCount=1,MaxCount=1,InstanceType="g4dn.xlarge",UserData="echo hi",ClientToken="spotwise-job-42-2",TagSpecifications=tags,InstanceMarketOptions={"MarketType":"spot","SpotOptions":{"SpotInstanceType":"one-time","InstanceInterruptionBehavior":"terminate","MaxPrice":"0.5"}},Placement={"AvailabilityZone":"us-east-1b"})
open(out+"/run-instances.xml","wb").write(raw["RunInstances"])
iid=r["Instances"][0]["InstanceId"]
r2=ec2.run_instances(ImageId=ready["gpuAmi"],MinCount=1,MaxCount=1,InstanceType="p4d.24xlarge",TagSpecifications=[{"ResourceType":"instance","Tags":[{"Key":"spotwise-job","Value":"job-43"},{"Key":"spotwise-attempt","Value":"1"}]}])
cmd(cmd="preempt",id=iid)
ec2.describe_instances(Filters=[{"Name":"tag-key","Values":["spotwise-job"]}])
open(out+"/describe-instances.xml","wb").write(raw["DescribeInstances"])
ec2.describe_instance_types(InstanceTypes=["g4dn.xlarge","p4d.24xlarge"])
open(out+"/describe-instance-types.xml","wb").write(raw["DescribeInstanceTypes"])
ec2.describe_spot_price_history(InstanceTypes=["g4dn.xlarge"],ProductDescriptions=["Linux/UNIX"],MaxResults=3)
open(out+"/describe-spot-price-history.xml","wb").write(raw["DescribeSpotPriceHistory"])
ec2.describe_images(ImageIds=[ready["gpuAmi"]])
open(out+"/describe-images.xml","wb").write(raw["DescribeImages"])
try: ec2.run_instances(ImageId="ami-0123456789abcdef0",MinCount=1,MaxCount=1,InstanceType="g4dn.xlarge")
except Exception as e: print(e); open(out+"/error-invalid-ami.xml","wb").write(raw["RunInstances"])
ec2.describe_availability_zones()
open(out+"/describe-availability-zones.xml","wb").write(raw["DescribeAvailabilityZones"])
p.stdin.close(); p.wait()
