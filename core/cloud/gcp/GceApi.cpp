#include "core/cloud/gcp/GceApi.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "core/auth/Crypto.h"
#include "core/common/Time.h"

namespace spotwise::cloud::gcp {

namespace {

using nlohmann::json;

std::string sanitize(std::string_view text, bool allowUnderscore) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 'A' && u <= 'Z') out += static_cast<char>(u - 'A' + 'a');
    else if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' || (u == '_' && allowUnderscore)) out += c;
    else out += '-';
  }
  return out;
}

std::string lastSegment(std::string_view url) {
  const auto slash = url.rfind('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

std::string regionOfZone(std::string_view zone) {
  const auto dash = zone.rfind('-');
  return std::string(dash == std::string_view::npos ? zone : zone.substr(0, dash));
}

Instance fromJson(const json& j) {
  Instance i;
  const std::string zone = lastSegment(j.value("zone", ""));
  const std::string name = j.value("name", "");
  i.id = zone + "/" + name;
  i.zone = zone;
  i.region = regionOfZone(zone);
  i.instanceType = lastSegment(j.value("machineType", ""));
  i.state = mapStatus(j.value("status", ""));
  i.stateMessage = j.value("statusMessage", "");
  if (j.contains("labels") && j["labels"].is_object()) {
    const auto& labels = j["labels"];
    i.jobId = labels.value(std::string(kJobTag), "");
    const std::string attempt = labels.value(std::string(kAttemptTag), "0");
    std::from_chars(attempt.data(), attempt.data() + attempt.size(), i.attempt);
  }
  if (j.contains("scheduling") && j["scheduling"].is_object())
    i.spot = j["scheduling"].value("provisioningModel", "") == "SPOT" || j["scheduling"].value("preemptible", false);
  else
    i.spot = false;
  i.launchedAtUnix = parseIso8601Utc(j.value("creationTimestamp", "").substr(0, 19) + "Z").value_or(0);
  if (i.state == InstanceState::Stopping || i.state == InstanceState::Terminated) i.endReason = EndReason::Unknown;
  return i;
}

}  // namespace

std::string instanceName(std::string_view jobId, int attempt) {
  const std::string suffix = "-" + std::to_string(attempt);
  std::string job;
  for (const char c : sanitize(jobId, false))  // one '-' for each run of characters GCE does not take
    if (c != '-' || (!job.empty() && job.back() != '-')) job += c;
  while (!job.empty() && job.back() == '-') job.pop_back();
  const std::size_t room = 63 - std::string_view("spotwise-").size() - suffix.size();
  if (job.size() > room) {
    // Keep names unique when a long id is cut: the tail becomes a short hash of the whole id.
    const std::string hash = auth::sha256Hex(jobId).substr(0, 8);
    job = job.substr(0, room - 9) + "-" + hash;
  }
  return "spotwise-" + job + suffix;
}

std::string labelValue(std::string_view text) { return sanitize(text, true).substr(0, 63); }

std::string requestIdFor(std::string_view token) {
  std::string h = auth::sha256Hex(std::string("spotwise-request-id:") + std::string(token)).substr(0, 32);
  h[12] = '5';                                                   // version nibble (name-based)
  h[16] = "89ab"[std::stoi(std::string(1, h[16]), nullptr, 16) & 3];  // RFC 4122 variant
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

Result<std::string> buildInsertBody(const LaunchSpec& spec, const GceLaunchOptions& options) {
  if (spec.jobId.empty()) return makeError(ErrorCode::InvalidArgument, "instances.insert: the job id is empty");
  if (spec.attempt < 1) return makeError(ErrorCode::InvalidArgument, "instances.insert: the attempt must be 1 or more");
  if (options.zone.empty()) return makeError(ErrorCode::InvalidArgument, "instances.insert: no zone given");
  if (spec.instanceType.empty()) return makeError(ErrorCode::InvalidArgument, "instances.insert: no machine type given");
  if (spec.rootVolumeGiB < 10 || spec.rootVolumeGiB > 65536)
    return makeError(ErrorCode::InvalidArgument, "instances.insert: boot disk of " + std::to_string(spec.rootVolumeGiB) +
                                                     " GB is outside 10..65536");
  // GCE metadata values are limited to 256 KB.
  if (spec.startupScript.size() > 256ull * 1024)
    return makeError(ErrorCode::InvalidArgument, "instances.insert: the startup script is larger than 256 KB");

  std::string machine = spec.instanceType;
  std::string accelerator;
  int acceleratorCount = 0;
  if (const auto plus = machine.find('+'); plus != std::string::npos) {
    const std::string gpu = machine.substr(plus + 1);
    machine = machine.substr(0, plus);
    const auto x = gpu.rfind('x');
    if (x == std::string::npos || x == 0)
      return makeError(ErrorCode::InvalidArgument, "instances.insert: '" + spec.instanceType +
                                                       "' should read <machine>+<accelerator>x<count>");
    accelerator = gpu.substr(0, x);
    const std::string count = gpu.substr(x + 1);
    const auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), acceleratorCount);
    if (ec != std::errc() || ptr != count.data() + count.size() || acceleratorCount < 1 || acceleratorCount > 16)
      return makeError(ErrorCode::InvalidArgument, "instances.insert: bad GPU count in '" + spec.instanceType + "'");
  }
  const auto image = sourceImageUrl(spec.image.empty() ? options.image : spec.image);
  if (!image) return image.error();
  const std::string& zone = options.zone;
  json body;
  body["name"] = instanceName(spec.jobId, spec.attempt);
  body["machineType"] = "zones/" + zone + "/machineTypes/" + machine;
  body["disks"] = json::array({json{{"boot", true},
                                    {"autoDelete", true},
                                    {"type", "PERSISTENT"},
                                    {"initializeParams",
                                     {{"sourceImage", *image},
                                      {"diskSizeGb", std::to_string(spec.rootVolumeGiB)},
                                      {"diskType", "zones/" + zone + "/diskTypes/pd-balanced"}}}}});
  body["networkInterfaces"] = json::array(
      {json{{"network", options.network},
            {"accessConfigs", json::array({json{{"type", "ONE_TO_ONE_NAT"}, {"name", "External NAT"}}})}}});
  if (acceleratorCount > 0)
    body["guestAccelerators"] = json::array(
        {json{{"acceleratorType", "zones/" + zone + "/acceleratorTypes/" + accelerator}, {"acceleratorCount", acceleratorCount}}});
  // GPUs cannot live-migrate, and a Spot VM must not come back by itself after a preemption.
  json scheduling = {{"onHostMaintenance", "TERMINATE"}, {"automaticRestart", false}};
  if (spec.spot) {
    scheduling["provisioningModel"] = "SPOT";
    scheduling["instanceTerminationAction"] = "DELETE";
  } else {
    scheduling["provisioningModel"] = "STANDARD";
  }
  body["scheduling"] = scheduling;
  json items = json::array();
  if (!spec.startupScript.empty()) items.push_back({{"key", "startup-script"}, {"value", spec.startupScript}});
  items.push_back({{"key", "install-nvidia-driver"}, {"value", "True"}});
  body["metadata"] = {{"items", items}};
  json labels = {{std::string(kJobTag), labelValue(spec.jobId)}, {std::string(kAttemptTag), std::to_string(spec.attempt)}};
  for (const auto& [key, value] : spec.extraTags) {
    const std::string k = labelValue(key);
    if (k.empty() || !(k[0] >= 'a' && k[0] <= 'z') || labels.contains(k)) continue;
    labels[k] = labelValue(value);
  }
  body["labels"] = labels;
  body["serviceAccounts"] = json::array(
      {json{{"email", spec.instanceIdentity.empty() ? options.serviceAccountEmail : spec.instanceIdentity},
            {"scopes", json::array({"https://www.googleapis.com/auth/devstorage.read_write",
                                    "https://www.googleapis.com/auth/logging.write"})}}});
  return body.dump();
}

InstanceState mapStatus(std::string_view status) {
  if (status == "PROVISIONING" || status == "STAGING" || status == "PENDING" || status == "REPAIRING")
    return InstanceState::Pending;
  if (status == "RUNNING") return InstanceState::Running;
  if (status == "STOPPING" || status == "SUSPENDING" || status == "PENDING_STOP") return InstanceState::Stopping;
  return InstanceState::Terminated;  // TERMINATED, STOPPED, SUSPENDED: no longer computing
}

Result<Instance> parseInstance(std::string_view text) {
  try {
    const auto j = json::parse(text);
    if (!j.is_object() || !j.contains("name"))
      return makeError(ErrorCode::Unavailable, "instances.get: the response is not an instance");
    return fromJson(j);
  } catch (const json::exception& e) {
    return makeError(ErrorCode::Unavailable, std::string("instances.get: the response is not JSON: ") + e.what());
  }
}

Result<AggregatedPage> parseAggregatedInstances(std::string_view text) {
  try {
    const auto j = json::parse(text);
    if (!j.is_object()) return makeError(ErrorCode::Unavailable, "instances.aggregatedList: the response is not an object");
    AggregatedPage page;
    page.nextPageToken = j.value("nextPageToken", "");
    if (j.contains("items"))
      for (const auto& [scope, list] : j["items"].items())
        if (list.contains("instances"))
          for (const auto& instance : list["instances"]) page.instances.push_back(fromJson(instance));
    return page;
  } catch (const json::exception& e) {
    return makeError(ErrorCode::Unavailable, std::string("instances.aggregatedList: the response is not JSON: ") + e.what());
  }
}

Result<Operation> parseOperation(std::string_view text, std::string_view operation) {
  try {
    const auto j = json::parse(text);
    if (!j.is_object() || !j.contains("name"))
      return makeError(ErrorCode::Unavailable, std::string(operation) + ": the response is not an operation");
    Operation op;
    op.name = j.value("name", "");
    op.zone = lastSegment(j.value("zone", ""));
    op.done = j.value("status", "") == "DONE";
    op.targetLink = j.value("targetLink", "");
    if (op.done && j.contains("error")) {
      std::string code;
      std::string message;
      for (const auto& e : j["error"].value("errors", json::array())) {
        if (code.empty()) code = e.value("code", "");
        if (!message.empty()) message += "; ";
        message += e.value("message", "");
      }
      Error error;
      error.providerCode = code;
      error.message = std::string(operation) + ": " + (message.empty() ? code : message);
      if (j.contains("httpErrorStatusCode")) error.httpStatus = j["httpErrorStatusCode"].get<int>();
      if (code.starts_with("ZONE_RESOURCE_POOL_EXHAUSTED") || code == "QUOTA_EXCEEDED" ||
          code == "RESOURCE_NOT_READY" || code == "RESOURCE_OPERATION_RATE_EXCEEDED")
        error.code = ErrorCode::ResourceExhausted;
      else if (code == "PERMISSIONS_ERROR" || code == "FORBIDDEN") error.code = ErrorCode::PermissionDenied;
      else if (code == "NOT_FOUND" || code == "RESOURCE_NOT_FOUND") error.code = ErrorCode::NotFound;
      else if (code.find("INVALID") != std::string::npos) error.code = ErrorCode::InvalidArgument;
      else error.code = ErrorCode::FailedPrecondition;
      op.error = error;
    }
    return op;
  } catch (const json::exception& e) {
    return makeError(ErrorCode::Unavailable, std::string(operation) + ": the response is not JSON: " + e.what());
  }
}

Result<std::vector<std::string>> parsePreemptedTargets(std::string_view text) {
  try {
    const auto j = json::parse(text);
    std::vector<std::string> out;
    if (j.contains("items"))
      for (const auto& [scope, list] : j["items"].items())
        if (list.contains("operations"))
          for (const auto& op : list["operations"]) {
            if (op.value("operationType", "") != "compute.instances.preempted") continue;
            out.push_back(lastSegment(op.value("zone", "")) + "/" + lastSegment(op.value("targetLink", "")));
          }
    return out;
  } catch (const json::exception& e) {
    return makeError(ErrorCode::Unavailable, std::string("zoneOperations.aggregatedList: not JSON: ") + e.what());
  }
}

Result<std::string> sourceImageUrl(std::string_view image) {
  const auto bad = [&] {
    return makeError(ErrorCode::InvalidArgument,
                     "instances.insert: image '" + std::string(image) +
                         "' is not a family name, PROJECT/family/NAME, PROJECT/IMAGE or an images/ path");
  };
  if (image.empty()) return "projects/" + std::string(kDeepLearningImageProject) + "/global/images/family/" + std::string(kDefaultImageFamily);
  if (image.find("/global/images/") != std::string_view::npos) return std::string(image);
  if (image.find_first_of(" \t\n?#") != std::string_view::npos) return bad();
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const auto slash = image.find('/', start);
    parts.emplace_back(image.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (const auto& p : parts)
    if (p.empty()) return bad();
  if (parts.size() == 1) return "projects/" + std::string(kDeepLearningImageProject) + "/global/images/family/" + parts[0];
  if (parts.size() == 2) return "projects/" + parts[0] + "/global/images/" + parts[1];
  if (parts.size() == 3 && parts[1] == "family") return "projects/" + parts[0] + "/global/images/family/" + parts[2];
  return bad();
}

Error gceError(std::string_view operation, const http::Response& response) {
  Error error = *http::errorFromResponse(operation, response);
  try {
    const auto j = json::parse(response.body);
    if (j.contains("error") && j["error"].is_object()) {
      const auto& e = j["error"];
      const std::string message = e.value("message", "");
      if (!message.empty()) error.message = std::string(operation) + ": " + message;
      std::string reason;
      if (e.contains("errors") && e["errors"].is_array() && !e["errors"].empty())
        reason = e["errors"][0].value("reason", "");
      error.providerCode = reason.empty() ? e.value("status", "") : reason;
      if (reason == "alreadyExists") error.code = ErrorCode::FailedPrecondition;
      else if (reason == "quotaExceeded" || reason == "rateLimitExceeded" || reason == "userRateLimitExceeded")
        error.code = ErrorCode::ResourceExhausted;
    }
  } catch (const json::exception&) {
    // not GCE's error document: the status mapping stands
  }
  return error;
}

}  // namespace spotwise::cloud::gcp
