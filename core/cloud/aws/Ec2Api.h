#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud/Encoding.h"
#include "core/cloud/Provider.h"
#include "core/cloud/Xml.h"
#include "core/common/Result.h"

namespace spotwise::cloud::aws {

/**
 * EC2 Query API, without the network: request parameters built from Spotwise's types and
 * responses (XML) parsed back into them. The calls themselves live in Ec2Compute.
 * Every function is pure and thread-safe.
 */
inline constexpr std::string_view kEc2ApiVersion = "2016-11-15";

/** The public SSM parameter of AWS's Deep Learning GPU AMI (OSS NVIDIA driver, Ubuntu 22.04). */
inline constexpr std::string_view kDeepLearningAmiParameter =
    "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id";

/** Where and how to place an instance, beyond the LaunchSpec. */
struct Ec2Placement {
  std::string imageId;                        ///< resolved AMI id (never empty when building)
  std::string rootDeviceName = "/dev/sda1";   ///< from DescribeImages
  std::string subnetId;                       ///< empty: the default VPC's subnet
  std::vector<std::string> securityGroupIds;  ///< empty: the VPC's default group
  std::string volumeType = "gp3";
};

/** Action=RunInstances for one spot (or on-demand) instance, ClientToken from spec.clientToken(). */
Result<QueryParams> buildRunInstances(const LaunchSpec& spec, const Ec2Placement& placement);
/** DescribeInstances filtered by instance-id (unknown ids are simply absent, no error). */
QueryParams buildDescribeInstancesByIds(const std::vector<std::string>& ids, std::string_view nextToken);
/** DescribeInstances filtered by tag:spotwise-job=jobId, or by the tag key alone when jobId is empty. */
QueryParams buildDescribeInstancesByTag(std::string_view jobId, std::string_view nextToken);
QueryParams buildTerminateInstances(const std::vector<std::string>& ids);
QueryParams buildDescribeImages(std::string_view imageId);
QueryParams buildDescribeInstanceTypes(const std::vector<std::string>& instanceTypes, std::string_view nextToken);
/** Spot prices (Linux/UNIX) of the given types since `sinceUnix`, optionally in one zone. */
QueryParams buildDescribeSpotPriceHistory(const std::vector<std::string>& instanceTypes, std::string_view zone,
                                          std::int64_t sinceUnix, std::string_view nextToken);

/** A page of instances and the token of the next page (empty when last). */
struct InstancePage {
  std::vector<Instance> instances;
  std::string nextToken;
};

/** Instances of a RunInstances or DescribeInstances response, states normalised. */
Result<InstancePage> parseInstances(std::string_view xml, std::string_view operation, std::string_view region);

/** EC2's state name ("shutting-down") to Spotwise's state. */
InstanceState mapInstanceState(std::string_view ec2State);
/** EC2's state-reason code ("Server.SpotInstanceTermination") to why the instance ended. */
EndReason mapStateReason(std::string_view code);

/** The root device name of a DescribeImages response; NotFound when the image is not listed. */
Result<std::string> parseRootDeviceName(std::string_view xml, std::string_view imageId);

struct GpuInfo {
  std::string name;          ///< "T4", "A100"
  std::string manufacturer;  ///< "NVIDIA"
  int count = 0;
  std::int64_t memoryMiB = 0;
};

struct InstanceTypeInfo {
  std::string instanceType;
  int vcpus = 0;
  std::int64_t memoryMiB = 0;
  std::vector<GpuInfo> gpus;
  bool spotSupported = false;
};

struct InstanceTypePage {
  std::vector<InstanceTypeInfo> types;
  std::string nextToken;
};
Result<InstanceTypePage> parseInstanceTypes(std::string_view xml);

struct SpotPrice {
  std::string instanceType;
  std::string zone;    ///< the zone's name in the caller's account ("us-east-1a")
  std::string zoneId;  ///< the zone's ID, the same in every account ("use1-az6"); empty from older API versions
  std::string productDescription;  ///< "Linux/UNIX", "Linux/UNIX (Amazon VPC)", "Windows", ...
  double pricePerHour = 0;
  std::int64_t timestampUnix = 0;
};
struct SpotPricePage {
  std::vector<SpotPrice> prices;
  std::string nextToken;
};
/** A DescribeSpotPriceHistory page; timestampUnix is 0 when the item's timestamp is not ISO 8601. */
Result<SpotPricePage> parseSpotPriceHistory(std::string_view xml);

/**
 * Whether `zone` is an Availability Zone ID ("use1-az6", a Local Zone's "usw2-lax1-az1") rather than a
 * zone name ("us-east-1a"). Names map to different physical zones in different accounts; IDs do not,
 * which is why the price catalog keys AWS zones by ID. Calls that take a zone send an ID as
 * AvailabilityZoneId and a name as AvailabilityZone.
 */
bool isAvailabilityZoneId(std::string_view zone);

QueryParams buildDescribeAvailabilityZones();
/** An Availability Zone of the region asked about: its name in this account and its ID. */
struct AvailabilityZone {
  std::string name;
  std::string id;
};
/** DescribeAvailabilityZones: zones without a name or ID are left out. */
Result<std::vector<AvailabilityZone>> parseAvailabilityZones(std::string_view xml);

/**
 * The Error for a failed EC2 call: the <Response><Errors><Error> code and message kept
 * (providerCode, message "<operation>: <message>"), mapped to an ErrorCode:
 * InsufficientInstanceCapacity, MaxSpotInstanceCountExceeded, VcpuLimitExceeded →
 * ResourceExhausted (not transient: another zone or offer is needed); RequestLimitExceeded →
 * ResourceExhausted (transient); SpotMaxPriceTooLow → FailedPrecondition; UnauthorizedOperation →
 * PermissionDenied; AuthFailure → Unauthenticated; InvalidAMIID.NotFound → NotFound, other
 * InvalidAMIID.* → InvalidArgument; InternalError/Unavailable → Unavailable. A body that is not
 * an EC2 error document is mapped by HTTP status.
 */
Error ec2Error(std::string_view operation, int httpStatus, std::string_view body);

}  // namespace spotwise::cloud::aws
