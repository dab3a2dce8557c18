#include "core/cloud/aws/Ec2Api.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/common/Time.h"

namespace spotwise::cloud::aws {

namespace {

void addList(QueryParams& params, std::string_view prefix, const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    params.emplace_back(std::string(prefix) + "." + std::to_string(i + 1), values[i]);
}

QueryParams base(std::string_view action) {
  return {{"Action", std::string(action)}, {"Version", std::string(kEc2ApiVersion)}};
}

std::string formatPrice(double price) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", price);
  std::string out = buf;
  while (out.size() > 1 && out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

void addTags(QueryParams& params, int index, std::string_view resourceType, const LaunchSpec& spec) {
  const std::string prefix = "TagSpecification." + std::to_string(index);
  params.emplace_back(prefix + ".ResourceType", std::string(resourceType));
  int n = 0;
  auto tag = [&](std::string_view key, std::string_view value) {
    ++n;
    params.emplace_back(prefix + ".Tag." + std::to_string(n) + ".Key", std::string(key));
    params.emplace_back(prefix + ".Tag." + std::to_string(n) + ".Value", std::string(value));
  };
  tag(kJobTag, spec.jobId);
  tag(kAttemptTag, std::to_string(spec.attempt));
  for (const auto& [key, value] : spec.extraTags)
    if (key != kJobTag && key != kAttemptTag) tag(key, value);
}

Result<XmlElement> parseBody(std::string_view xml, std::string_view operation) {
  auto root = parseXml(xml, operation);
  if (!root) {
    // A 2xx answer that is not XML came from something in between (a proxy, a cut connection):
    // the same call may well work again.
    Error e = root.error();
    e.code = ErrorCode::Unavailable;
    return e;
  }
  return root;
}

int toInt(std::string_view text) {
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::int64_t toInt64(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

Instance parseInstance(const XmlElement& item, std::string_view region) {
  Instance instance;
  instance.id = item.textAt("instanceId");
  instance.region = std::string(region);
  instance.zone = item.textAt("placement/availabilityZone");
  instance.instanceType = item.textAt("instanceType");
  instance.state = mapInstanceState(item.textAt("instanceState/name"));
  const std::string reasonCode = item.textAt("stateReason/code");
  instance.stateMessage = item.textAt("stateReason/message");
  if (instance.stateMessage.empty()) instance.stateMessage = item.textAt("reason");
  if (instance.state == InstanceState::Stopping || instance.state == InstanceState::Terminated)
    instance.endReason = mapStateReason(reasonCode);
  instance.spot = item.textAt("instanceLifecycle") == "spot";
  instance.launchedAtUnix = parseIso8601Utc(item.textAt("launchTime")).value_or(0);
  if (const auto* tags = item.child("tagSet")) {
    for (const auto* tag : tags->childrenNamed("item")) {
      const std::string key = tag->textAt("key");
      if (key == kJobTag) instance.jobId = tag->textAt("value");
      else if (key == kAttemptTag) instance.attempt = toInt(tag->textAt("value"));
    }
  }
  return instance;
}

}  // namespace

Result<QueryParams> buildRunInstances(const LaunchSpec& spec, const Ec2Placement& placement) {
  if (spec.jobId.empty()) return makeError(ErrorCode::InvalidArgument, "RunInstances: the job id is empty");
  if (spec.attempt < 1) return makeError(ErrorCode::InvalidArgument, "RunInstances: the attempt must be 1 or more");
  if (spec.instanceType.empty())
    return makeError(ErrorCode::InvalidArgument, "RunInstances: no instance type given");
  if (placement.imageId.empty()) return makeError(ErrorCode::InvalidArgument, "RunInstances: no image id resolved");
  if (spec.rootVolumeGiB < 8 || spec.rootVolumeGiB > 16384)
    return makeError(ErrorCode::InvalidArgument,
                     "RunInstances: root volume of " + std::to_string(spec.rootVolumeGiB) + " GiB is outside 8..16384");
  if (spec.maxPricePerHour && !(*spec.maxPricePerHour > 0))
    return makeError(ErrorCode::InvalidArgument, "RunInstances: the spot price cap must be positive");
  // EC2 takes at most 16 KiB of user data before base64.
  if (spec.startupScript.size() > 16ull * 1024)
    return makeError(ErrorCode::InvalidArgument, "RunInstances: the startup script is " +
                                                     std::to_string(spec.startupScript.size()) +
                                                     " bytes, EC2 user data takes at most 16384");

  QueryParams p = base("RunInstances");
  p.emplace_back("ImageId", placement.imageId);
  p.emplace_back("InstanceType", spec.instanceType);
  p.emplace_back("MinCount", "1");
  p.emplace_back("MaxCount", "1");
  p.emplace_back("ClientToken", spec.clientToken());
  if (!spec.startupScript.empty()) p.emplace_back("UserData", base64Encode(spec.startupScript));
  // Powering off from inside (the agent's last step, its dead-man's switch) must end the billing.
  p.emplace_back("InstanceInitiatedShutdownBehavior", "terminate");
  if (!spec.instanceIdentity.empty()) {
    if (spec.instanceIdentity.starts_with("arn:")) p.emplace_back("IamInstanceProfile.Arn", spec.instanceIdentity);
    else p.emplace_back("IamInstanceProfile.Name", spec.instanceIdentity);
  }
  if (spec.spot) {
    p.emplace_back("InstanceMarketOptions.MarketType", "spot");
    p.emplace_back("InstanceMarketOptions.SpotOptions.SpotInstanceType", "one-time");
    p.emplace_back("InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior", "terminate");
    if (spec.maxPricePerHour)
      p.emplace_back("InstanceMarketOptions.SpotOptions.MaxPrice", formatPrice(*spec.maxPricePerHour));
  }
  p.emplace_back("BlockDeviceMapping.1.DeviceName", placement.rootDeviceName);
  p.emplace_back("BlockDeviceMapping.1.Ebs.VolumeSize", std::to_string(spec.rootVolumeGiB));
  p.emplace_back("BlockDeviceMapping.1.Ebs.VolumeType", placement.volumeType);
  p.emplace_back("BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true");
  if (!placement.subnetId.empty()) p.emplace_back("SubnetId", placement.subnetId);
  else if (!spec.zone.empty())
    p.emplace_back(isAvailabilityZoneId(spec.zone) ? "Placement.AvailabilityZoneId" : "Placement.AvailabilityZone", spec.zone);
  addList(p, "SecurityGroupId", placement.securityGroupIds);
  // The agent reads the spot notice through IMDSv2 only.
  p.emplace_back("MetadataOptions.HttpTokens", "required");
  p.emplace_back("MetadataOptions.HttpEndpoint", "enabled");
  addTags(p, 1, "instance", spec);
  addTags(p, 2, "volume", spec);
  return p;
}

QueryParams buildDescribeInstancesByIds(const std::vector<std::string>& ids, std::string_view nextToken) {
  QueryParams p = base("DescribeInstances");
  p.emplace_back("Filter.1.Name", "instance-id");
  addList(p, "Filter.1.Value", ids);
  p.emplace_back("MaxResults", "1000");
  if (!nextToken.empty()) p.emplace_back("NextToken", std::string(nextToken));
  return p;
}

QueryParams buildDescribeInstancesByTag(std::string_view jobId, std::string_view nextToken) {
  QueryParams p = base("DescribeInstances");
  if (jobId.empty()) {
    p.emplace_back("Filter.1.Name", "tag-key");
    p.emplace_back("Filter.1.Value.1", std::string(kJobTag));
  } else {
    p.emplace_back("Filter.1.Name", "tag:" + std::string(kJobTag));
    p.emplace_back("Filter.1.Value.1", std::string(jobId));
  }
  p.emplace_back("MaxResults", "1000");
  if (!nextToken.empty()) p.emplace_back("NextToken", std::string(nextToken));
  return p;
}

QueryParams buildTerminateInstances(const std::vector<std::string>& ids) {
  QueryParams p = base("TerminateInstances");
  addList(p, "InstanceId", ids);
  return p;
}

QueryParams buildDescribeImages(std::string_view imageId) {
  QueryParams p = base("DescribeImages");
  p.emplace_back("ImageId.1", std::string(imageId));
  return p;
}

QueryParams buildDescribeInstanceTypes(const std::vector<std::string>& instanceTypes, std::string_view nextToken) {
  QueryParams p = base("DescribeInstanceTypes");
  addList(p, "InstanceType", instanceTypes);
  if (instanceTypes.empty()) p.emplace_back("MaxResults", "100");
  if (!nextToken.empty()) p.emplace_back("NextToken", std::string(nextToken));
  return p;
}

QueryParams buildDescribeSpotPriceHistory(const std::vector<std::string>& instanceTypes, std::string_view zone,
                                          std::int64_t sinceUnix, std::string_view nextToken) {
  QueryParams p = base("DescribeSpotPriceHistory");
  addList(p, "InstanceType", instanceTypes);
  p.emplace_back("ProductDescription.1", "Linux/UNIX");
  if (!zone.empty()) p.emplace_back(isAvailabilityZoneId(zone) ? "AvailabilityZoneId" : "AvailabilityZone", std::string(zone));
  if (sinceUnix > 0) p.emplace_back("StartTime", formatIso8601Utc(sinceUnix));
  p.emplace_back("MaxResults", "1000");
  if (!nextToken.empty()) p.emplace_back("NextToken", std::string(nextToken));
  return p;
}

InstanceState mapInstanceState(std::string_view ec2State) {
  if (ec2State == "pending") return InstanceState::Pending;
  if (ec2State == "running") return InstanceState::Running;
  if (ec2State == "terminated") return InstanceState::Terminated;
  // shutting-down, stopping, stopped: on its way out (a stopped instance still bills its disk).
  return InstanceState::Stopping;
}

EndReason mapStateReason(std::string_view code) {
  if (code.empty()) return EndReason::Unknown;
  if (code == "Server.SpotInstanceTermination" || code == "Server.SpotInstanceShutdown") return EndReason::SpotInterruption;
  if (code == "Client.UserInitiatedShutdown" || code == "Client.InstanceInitiatedShutdown" ||
      code == "Client.UserInitiatedHibernate")
    return EndReason::User;
  if (code == "Server.InsufficientInstanceCapacity") return EndReason::Capacity;
  if (code == "Server.InternalError" || code == "Client.InternalError" || code == "Client.VolumeLimitExceeded" ||
      code == "Server.ScheduledStop")
    return EndReason::Error;
  return EndReason::Unknown;
}

Result<InstancePage> parseInstances(std::string_view xml, std::string_view operation, std::string_view region) {
  auto root = parseBody(xml, operation);
  if (!root) return root.error();
  InstancePage page;
  page.nextToken = root->textAt("nextToken");
  // An instance without an ID could not be matched to a job, described again or terminated: the
  // response is refused rather than read with a blank where the ID belongs.
  const auto add = [&](const XmlElement& item) -> bool {
    page.instances.push_back(parseInstance(item, region));
    return !page.instances.back().id.empty();
  };
  const auto noId = [&] {
    return makeError(ErrorCode::Unavailable, std::string(operation) + ": an instance in the response has no instanceId");
  };
  if (const auto* direct = root->child("instancesSet")) {  // RunInstances
    for (const auto* item : direct->childrenNamed("item"))
      if (!add(*item)) return noId();
    return page;
  }
  const auto* reservations = root->child("reservationSet");
  if (!reservations)
    return makeError(ErrorCode::Unavailable,
                     std::string(operation) + ": the response has no reservationSet or instancesSet (<" + root->name + ">)");
  for (const auto* reservation : reservations->childrenNamed("item"))
    if (const auto* set = reservation->child("instancesSet"))
      for (const auto* item : set->childrenNamed("item"))
        if (!add(*item)) return noId();
  return page;
}

Result<std::string> parseRootDeviceName(std::string_view xml, std::string_view imageId) {
  auto root = parseBody(xml, "DescribeImages");
  if (!root) return root.error();
  if (const auto* set = root->child("imagesSet"))
    for (const auto* item : set->childrenNamed("item"))
      if (item->textAt("imageId") == imageId) {
        std::string name = item->textAt("rootDeviceName");
        if (name.empty()) name = "/dev/sda1";
        return name;
      }
  return makeError(ErrorCode::NotFound, "DescribeImages: image " + std::string(imageId) + " is not available");
}

Result<InstanceTypePage> parseInstanceTypes(std::string_view xml) {
  auto root = parseBody(xml, "DescribeInstanceTypes");
  if (!root) return root.error();
  InstanceTypePage page;
  page.nextToken = root->textAt("nextToken");
  const auto* set = root->child("instanceTypeSet");
  if (!set) return makeError(ErrorCode::Unavailable, "DescribeInstanceTypes: the response has no instanceTypeSet");
  for (const auto* item : set->childrenNamed("item")) {
    InstanceTypeInfo info;
    info.instanceType = item->textAt("instanceType");
    info.vcpus = toInt(item->textAt("vCpuInfo/defaultVCpus"));
    info.memoryMiB = toInt64(item->textAt("memoryInfo/sizeInMiB"));
    if (const auto* usage = item->child("supportedUsageClasses"))
      for (const auto* c : usage->childrenNamed("item"))
        if (c->text == "spot") info.spotSupported = true;
    if (const auto* gpuInfo = item->child("gpuInfo"))
      if (const auto* gpus = gpuInfo->child("gpus"))
        for (const auto* g : gpus->childrenNamed("item"))
          info.gpus.push_back(GpuInfo{g->textAt("name"), g->textAt("manufacturer"), toInt(g->textAt("count")),
                                      toInt64(g->textAt("memoryInfo/sizeInMiB"))});
    page.types.push_back(std::move(info));
  }
  return page;
}

Result<SpotPricePage> parseSpotPriceHistory(std::string_view xml) {
  auto root = parseBody(xml, "DescribeSpotPriceHistory");
  if (!root) return root.error();
  SpotPricePage page;
  page.nextToken = root->textAt("nextToken");
  const auto* set = root->child("spotPriceHistorySet");
  if (!set) return makeError(ErrorCode::Unavailable, "DescribeSpotPriceHistory: the response has no spotPriceHistorySet");
  for (const auto* item : set->childrenNamed("item")) {
    SpotPrice price;
    price.instanceType = item->textAt("instanceType");
    price.zone = item->textAt("availabilityZone");
    price.zoneId = item->textAt("availabilityZoneId");
    price.productDescription = item->textAt("productDescription");
    const std::string text = item->textAt("spotPrice");
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), price.pricePerHour);
    if (ec != std::errc() || ptr != text.data() + text.size() || !(price.pricePerHour >= 0))
      return makeError(ErrorCode::DataLoss, "DescribeSpotPriceHistory: bad spotPrice '" + text + "' for " +
                                                price.instanceType + " in " + price.zone);
    price.timestampUnix = parseIso8601Utc(item->textAt("timestamp")).value_or(0);
    page.prices.push_back(std::move(price));
  }
  return page;
}

Error ec2Error(std::string_view operation, int httpStatus, std::string_view body) {
  Error error;
  error.httpStatus = httpStatus;
  std::string code;
  std::string message;
  if (auto root = parseXml(body, operation)) {
    const XmlElement* e = nullptr;
    if (const auto* errors = root->child("Errors")) e = errors->child("Error");
    if (!e && root->name == "Error") e = &*root;
    if (e) {
      code = e->textAt("Code");
      message = e->textAt("Message");
    }
  }
  error.providerCode = code;
  if (code.empty()) {
    switch (httpStatus) {
      case 400: error.code = ErrorCode::InvalidArgument; break;
      case 401: error.code = ErrorCode::Unauthenticated; break;
      case 403: error.code = ErrorCode::PermissionDenied; break;
      case 404: error.code = ErrorCode::NotFound; break;
      case 429: error.code = ErrorCode::ResourceExhausted; break;
      default: error.code = httpStatus >= 500 ? ErrorCode::Unavailable : ErrorCode::Internal;
    }
    std::string excerpt(body.substr(0, 200));
    for (char& c : excerpt)
      if (c == '\n' || c == '\r') c = ' ';
    error.message = std::string(operation) + ": HTTP " + std::to_string(httpStatus) +
                    (excerpt.empty() ? std::string() : ": " + excerpt);
    return error;
  }
  error.message = std::string(operation) + ": " + (message.empty() ? code : message);
  if (code == "InsufficientInstanceCapacity" || code == "MaxSpotInstanceCountExceeded" || code == "VcpuLimitExceeded" ||
      code == "InstanceLimitExceeded" || code == "InsufficientFreeAddressesInSubnet" || code == "RequestLimitExceeded")
    error.code = ErrorCode::ResourceExhausted;
  else if (code == "UnauthorizedOperation" || code == "Blocked" || code == "OptInRequired")
    error.code = ErrorCode::PermissionDenied;
  else if (code == "AuthFailure" || code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" ||
           code == "RequestExpired")
    error.code = ErrorCode::Unauthenticated;
  else if (code == "InvalidAMIID.NotFound" || code.ends_with(".NotFound") || code == "NoSuchEntity")
    error.code = ErrorCode::NotFound;
  else if (code.starts_with("InvalidAMIID.") || code.starts_with("Invalid") || code == "MissingParameter" ||
           code == "UnknownParameter" || code == "ValidationError")
    error.code = ErrorCode::InvalidArgument;
  else if (code == "SpotMaxPriceTooLow" || code == "IdempotentParameterMismatch" || code == "IncorrectState" ||
           code == "IncorrectInstanceState")
    error.code = ErrorCode::FailedPrecondition;
  else if (code == "InternalError" || code == "Unavailable" || code == "ServiceUnavailable" || code == "InternalFailure")
    error.code = ErrorCode::Unavailable;
  else
    error.code = httpStatus >= 500 ? ErrorCode::Unavailable : ErrorCode::InvalidArgument;
  return error;
}

bool isAvailabilityZoneId(std::string_view zone) {
  // "<region code>-az<digits>", e.g. use1-az6, usw2-lax1-az1; a name ends in a letter (us-east-1a).
  const auto at = zone.rfind("-az");
  if (at == std::string_view::npos || at == 0 || at + 3 == zone.size()) return false;
  return std::ranges::all_of(zone.substr(at + 3), [](char c) { return c >= '0' && c <= '9'; });
}

QueryParams buildDescribeAvailabilityZones() { return base("DescribeAvailabilityZones"); }

Result<std::vector<AvailabilityZone>> parseAvailabilityZones(std::string_view xml) {
  auto root = parseBody(xml, "DescribeAvailabilityZones");
  if (!root) return root.error();
  const auto* set = root->child("availabilityZoneInfo");
  if (!set) return makeError(ErrorCode::Unavailable, "DescribeAvailabilityZones: the response has no availabilityZoneInfo");
  std::vector<AvailabilityZone> zones;
  for (const auto* item : set->childrenNamed("item")) {
    AvailabilityZone zone{item->textAt("zoneName"), item->textAt("zoneId")};
    if (!zone.name.empty() && !zone.id.empty()) zones.push_back(std::move(zone));
  }
  return zones;
}

}  // namespace spotwise::cloud::aws
