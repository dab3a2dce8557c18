#include "core/cloud/aws/Ec2Compute.h"

#include "core/auth/TokenSource.h"

#include <nlohmann/json.hpp>

#include <set>

namespace spotwise::cloud::aws {

namespace {

constexpr std::size_t kIdsPerCall = 200;  // EC2's limit of values in one filter

Error ec2ErrorMapper(std::string_view operation, const http::Response& response) {
  return ec2Error(operation, response.status, response.body);
}

Error jsonErrorMapper(std::string_view operation, const http::Response& response) {
  Error error = *http::errorFromResponse(operation, response);
  try {
    const auto doc = nlohmann::json::parse(response.body);
    std::string type = doc.value("__type", "");
    if (const auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    std::string message = doc.value("message", doc.value("Message", ""));
    error.providerCode = type;
    if (!message.empty()) error.message = std::string(operation) + ": " + message;
    if (type == "ParameterNotFound") error.code = ErrorCode::NotFound;
    else if (type == "ThrottlingException") error.code = ErrorCode::ResourceExhausted, error.providerCode = "Throttling";
    else if (type == "AccessDeniedException") error.code = ErrorCode::PermissionDenied;
    else if (type == "UnrecognizedClientException" || type == "InvalidSignatureException")
      error.code = ErrorCode::Unauthenticated;
  } catch (const nlohmann::json::exception&) {
    // not a JSON error document: the status mapping stands
  }
  return error;
}

}  // namespace

std::string serviceEndpoint(const AwsSettings& settings, std::string_view service, std::string_view region) {
  if (!settings.endpointOverride.empty()) {
    std::string url = settings.endpointOverride;
    if (!url.ends_with('/')) url += '/';
    return url;
  }
  return "https://" + std::string(service) + "." + std::string(region) + ".amazonaws.com/";
}

Ec2Compute::Ec2Compute(AwsSettings settings, Transport transport)
    : m_settings(std::move(settings)), m_transport(transport) {}

Result<std::string> Ec2Compute::ec2Call(std::string_view region, std::string_view operation, const QueryParams& params,
                                        http::Idempotency idempotency, const CallOptions& options) {
  const std::string url = serviceEndpoint(m_settings, "ec2", region);
  const std::string body = formEncode(params);
  const std::string regionName(region);
  const AuthRecovery learnSkew = [this](const http::Response& r, const Error&) {
    return m_skew.learn(r, auth::systemUnixNow(), auth::isAwsClockSkewError);
  };
  auto response = callWithRetry(
      m_transport, operation, idempotency, options,
      [&]() -> Result<http::Request> {
        http::Request request;
        request.method = "POST";
        request.url = url;
        request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
        request.body = body;
        auth::aws::SigV4Options sign;
        sign.region = regionName;
        sign.service = "ec2";
        sign.clockSkewSeconds = m_skew.seconds();
        if (auto signedOk = auth::aws::signRequest(request, m_settings.credentials, sign); !signedOk)
          return signedOk.error();
        return request;
      },
      ec2ErrorMapper,
      [](std::string_view op, const http::Response& r) -> std::optional<Error> {
        // A 2xx must be the action's own document: a proxy's HTML page or a cut body is retried.
        auto root = parseXml(r.body, op);
        if (!root) return makeError(ErrorCode::Unavailable, root.error().message);
        if (root->name != std::string(op) + "Response")
          return makeError(ErrorCode::Unavailable,
                           std::string(op) + ": the response is <" + root->name + ">, not <" + std::string(op) + "Response>");
        return std::nullopt;
      },
      {}, learnSkew);
  if (!response) return response.error();
  return std::move(response->body);
}

Result<std::string> Ec2Compute::resolveGpuImage(std::string_view region, const CallOptions& options) {
  const std::string url = serviceEndpoint(m_settings, "ssm", region);
  const std::string body = nlohmann::json{{"Name", m_settings.gpuImageParameter}}.dump();
  const std::string regionName(region);
  const AuthRecovery learnSkew = [this](const http::Response& r, const Error&) {
    return m_skew.learn(r, auth::systemUnixNow(), auth::isAwsClockSkewError);
  };
  auto response = callWithRetry(
      m_transport, "GetParameter", http::Idempotency::Idempotent, options,
      [&]() -> Result<http::Request> {
        http::Request request;
        request.method = "POST";
        request.url = url;
        request.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", "AmazonSSM.GetParameter"}};
        request.body = body;
        auth::aws::SigV4Options sign;
        sign.region = regionName;
        sign.service = "ssm";
        sign.clockSkewSeconds = m_skew.seconds();
        if (auto signedOk = auth::aws::signRequest(request, m_settings.credentials, sign); !signedOk)
          return signedOk.error();
        return request;
      },
      jsonErrorMapper,
      [](std::string_view op, const http::Response& r) -> std::optional<Error> {
        if (nlohmann::json::accept(r.body)) return std::nullopt;
        return makeError(ErrorCode::Unavailable, std::string(op) + ": the response is not JSON");
      },
      {}, learnSkew);
  if (!response) return response.error();
  try {
    const auto doc = nlohmann::json::parse(response->body);
    std::string ami = doc.at("Parameter").at("Value").get<std::string>();
    if (!ami.starts_with("ami-"))
      return makeError(ErrorCode::DataLoss, "GetParameter: " + m_settings.gpuImageParameter + " holds '" + ami +
                                                "', not an AMI id");
    return ami;
  } catch (const nlohmann::json::exception& e) {
    return makeError(ErrorCode::Unavailable, std::string("GetParameter: unexpected response: ") + e.what());
  }
}

Result<Instance> Ec2Compute::launch(const LaunchSpec& spec, const CallOptions& options) {
  const std::string region = spec.region.empty() ? m_settings.defaultRegion : spec.region;
  Ec2Placement placement;
  placement.subnetId = m_settings.subnetId;
  placement.securityGroupIds = m_settings.securityGroupIds;
  if (!spec.image.empty()) {
    placement.imageId = spec.image;
  } else {
    auto ami = resolveGpuImage(region, options);
    if (!ami) return ami.error();
    placement.imageId = *ami;
  }
  {
    std::lock_guard lock(m_mutex);
    if (auto it = m_rootDevices.find(region + "/" + placement.imageId); it != m_rootDevices.end())
      placement.rootDeviceName = it->second;
    else
      placement.rootDeviceName.clear();
  }
  if (placement.rootDeviceName.empty()) {
    auto images = ec2Call(region, "DescribeImages", buildDescribeImages(placement.imageId),
                          http::Idempotency::Idempotent, options);
    if (!images) return images.error();
    auto device = parseRootDeviceName(*images, placement.imageId);
    if (!device) {
      Error e = device.error();
      e.providerCode = "InvalidAMIID.NotFound";
      return e;
    }
    placement.rootDeviceName = *device;
    std::lock_guard lock(m_mutex);
    m_rootDevices[region + "/" + placement.imageId] = *device;
  }
  LaunchSpec effective = spec;
  if (effective.instanceIdentity.empty()) effective.instanceIdentity = m_settings.instanceProfile;
  auto params = buildRunInstances(effective, placement);
  if (!params) return params.error();
  // RunInstances carries its ClientToken: repeating it is safe, so the loop may retry it.
  auto body = ec2Call(region, "RunInstances", *params, http::Idempotency::Idempotent, options);
  if (!body) return body.error();
  auto page = parseInstances(*body, "RunInstances", region);
  if (!page) return page.error();
  if (page->instances.size() != 1)
    return makeError(ErrorCode::Internal,
                     "RunInstances: expected one instance, got " + std::to_string(page->instances.size()));
  Instance instance = page->instances.front();
  if (instance.jobId.empty()) instance.jobId = spec.jobId;
  if (instance.attempt == 0) instance.attempt = spec.attempt;
  return instance;
}

Result<std::vector<Instance>> Ec2Compute::describePages(std::string_view region,
                                                        const std::function<QueryParams(std::string_view)>& page,
                                                        const CallOptions& options) {
  std::vector<Instance> out;
  std::string token;
  for (int pages = 0; pages < 1000; ++pages) {
    auto body = ec2Call(region, "DescribeInstances", page(token), http::Idempotency::Idempotent, options);
    if (!body) return body.error();
    auto parsed = parseInstances(*body, "DescribeInstances", region);
    if (!parsed) return parsed.error();
    for (auto& i : parsed->instances) out.push_back(std::move(i));
    if (parsed->nextToken.empty() || parsed->nextToken == token) return out;
    token = parsed->nextToken;
  }
  return makeError(ErrorCode::Internal, "DescribeInstances: more than 1000 pages");
}

Result<std::vector<Instance>> Ec2Compute::describe(const std::vector<InstanceRef>& refs, const CallOptions& options) {
  std::map<std::string, std::vector<std::string>> byRegion;
  for (const auto& ref : refs) byRegion[ref.region.empty() ? m_settings.defaultRegion : ref.region].push_back(ref.id);
  std::vector<Instance> out;
  for (const auto& [region, ids] : byRegion) {
    for (std::size_t start = 0; start < ids.size(); start += kIdsPerCall) {
      const std::vector<std::string> chunk(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                           ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + kIdsPerCall)));
      auto found = describePages(
          region, [&](std::string_view token) { return buildDescribeInstancesByIds(chunk, token); }, options);
      if (!found) return found.error();
      std::set<std::string> seen;
      for (auto& i : *found) {
        seen.insert(i.id);
        out.push_back(std::move(i));
      }
      for (const auto& id : chunk) {
        if (seen.contains(id)) continue;
        Instance gone;  // EC2 forgets terminated instances after about an hour
        gone.id = id;
        gone.region = region;
        gone.state = InstanceState::Terminated;
        gone.endReason = EndReason::Unknown;
        gone.stateMessage = "not known to EC2 (terminated long ago, or never existed)";
        out.push_back(std::move(gone));
      }
    }
  }
  return out;
}

Result<std::vector<Instance>> Ec2Compute::listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                                    const CallOptions& options) {
  std::vector<Instance> out;
  for (const auto& region : regions.empty() ? m_settings.regions : regions) {
    auto found = describePages(
        region, [&](std::string_view token) { return buildDescribeInstancesByTag(jobId, token); }, options);
    if (!found) return found.error();
    for (auto& i : *found) out.push_back(std::move(i));
  }
  return out;
}

Result<void> Ec2Compute::terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) {
  std::map<std::string, std::vector<std::string>> byRegion;
  for (const auto& ref : refs) byRegion[ref.region.empty() ? m_settings.defaultRegion : ref.region].push_back(ref.id);
  for (const auto& [region, ids] : byRegion) {
    for (std::size_t start = 0; start < ids.size(); start += 1000) {
      const std::vector<std::string> chunk(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                           ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + 1000)));
      auto body = ec2Call(region, "TerminateInstances", buildTerminateInstances(chunk), http::Idempotency::Idempotent,
                          options);
      if (!body) return body.error();
    }
  }
  return {};
}

Result<std::vector<InstanceTypeInfo>> Ec2Compute::describeInstanceTypes(std::string_view region,
                                                                        const std::vector<std::string>& types,
                                                                        const CallOptions& options) {
  std::vector<InstanceTypeInfo> out;
  std::string token;
  for (int pages = 0; pages < 1000; ++pages) {
    auto body = ec2Call(region, "DescribeInstanceTypes", buildDescribeInstanceTypes(types, token),
                        http::Idempotency::Idempotent, options);
    if (!body) return body.error();
    auto page = parseInstanceTypes(*body);
    if (!page) return page.error();
    for (auto& t : page->types) out.push_back(std::move(t));
    if (page->nextToken.empty() || page->nextToken == token) return out;
    token = page->nextToken;
  }
  return makeError(ErrorCode::Internal, "DescribeInstanceTypes: more than 1000 pages");
}

Result<std::vector<SpotPrice>> Ec2Compute::spotPriceHistory(std::string_view region,
                                                            const std::vector<std::string>& types,
                                                            std::string_view zone, std::int64_t sinceUnix,
                                                            const CallOptions& options) {
  std::vector<SpotPrice> out;
  std::string token;
  for (int pages = 0; pages < 1000; ++pages) {
    auto body = ec2Call(region, "DescribeSpotPriceHistory", buildDescribeSpotPriceHistory(types, zone, sinceUnix, token),
                        http::Idempotency::Idempotent, options);
    if (!body) return body.error();
    auto page = parseSpotPriceHistory(*body);
    if (!page) return page.error();
    for (auto& p : page->prices) out.push_back(std::move(p));
    if (page->nextToken.empty() || page->nextToken == token) return out;
    token = page->nextToken;
  }
  return makeError(ErrorCode::Internal, "DescribeSpotPriceHistory: more than 1000 pages");
}

Result<std::vector<AvailabilityZone>> Ec2Compute::availabilityZones(std::string_view region, const CallOptions& options) {
  auto body = ec2Call(region, "DescribeAvailabilityZones", buildDescribeAvailabilityZones(), http::Idempotency::Idempotent, options);
  if (!body) return body.error();
  return parseAvailabilityZones(*body);
}

}  // namespace spotwise::cloud::aws
