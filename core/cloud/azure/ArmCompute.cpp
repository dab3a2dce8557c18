#include "core/cloud/azure/ArmCompute.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <map>

#include "core/cloud/Encoding.h"
#include "core/common/Time.h"

namespace spotwise::cloud::azure {

namespace {

using nlohmann::json;

constexpr std::string_view kComputeApi = "2023-03-01";
constexpr std::string_view kNetworkApi = "2023-05-01";
constexpr std::string_view kResourcesApi = "2021-04-01";
constexpr std::string_view kActivityLogApi = "2015-04-01";
/** How far back the Activity Log is searched for why a VM disappeared. */
constexpr std::int64_t kEvictionLookbackSeconds = std::int64_t{2} * 24 * 3600;

/** A VM's state from its (lower-case) provisioning and power states; the provisioning state outranks. */
InstanceState vmState(std::string_view provisioning, std::string_view power) {
  if (provisioning == "deleting") return InstanceState::Stopping;
  if (provisioning == "failed") return InstanceState::Terminated;
  if (power == "running") return InstanceState::Running;
  if (power == "stopping" || power == "deallocating" || power == "stopped") return InstanceState::Stopping;
  if (power == "deallocated") return InstanceState::Terminated;
  return InstanceState::Pending;  // creating / starting
}

Instance fromJson(const json& vm) {
  Instance i;
  i.id = vm.value("name", "");
  i.region = vm.value("location", "");
  const json props = vm.value("properties", json::object());
  i.instanceType = props.value("hardwareProfile", json::object()).value("vmSize", "");
  i.spot = props.value("priority", "") == "Spot";
  i.launchedAtUnix = parseIso8601Utc(props.value("timeCreated", "").substr(0, 19) + "Z").value_or(0);
  if (vm.contains("tags") && vm["tags"].is_object()) {
    i.jobId = vm["tags"].value(std::string(kJobTag), "");
    const std::string attempt = vm["tags"].value(std::string(kAttemptTag), "0");
    std::from_chars(attempt.data(), attempt.data() + attempt.size(), i.attempt);
  }
  if (vm.contains("zones") && vm["zones"].is_array() && !vm["zones"].empty()) i.zone = vm["zones"][0].get<std::string>();
  std::string provisioning = props.value("provisioningState", "");
  std::string power;
  if (props.contains("instanceView"))
    for (const auto& s : props["instanceView"].value("statuses", json::array())) {
      const std::string code = s.value("code", "");
      if (code.starts_with("PowerState/")) power = code.substr(11), i.stateMessage = s.value("displayStatus", "");
      if (code.starts_with("ProvisioningState/")) provisioning = code.substr(18);
    }
  for (auto& c : provisioning) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  i.state = vmState(provisioning, power);
  if (i.state == InstanceState::Stopping || i.state == InstanceState::Terminated)
    i.endReason = provisioning == "failed" ? EndReason::Error : EndReason::Unknown;
  return i;
}

}  // namespace

std::string vmName(std::string_view jobId, int attempt) {
  std::string job;
  for (const char c : jobId) job += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  const std::string suffix = "-" + std::to_string(attempt);
  const std::size_t room = 64 - std::string_view("spotwise-").size() - suffix.size();
  if (job.size() > room) job = job.substr(0, room);
  return "spotwise-" + job + suffix;
}

ErrorCode mapArmErrorCode(std::string_view code, ErrorCode fallback) {
  if (code == "AuthorizationFailed" || code == "LinkedAuthorizationFailed") return ErrorCode::PermissionDenied;
  if (code == "ExpiredAuthenticationToken" || code == "InvalidAuthenticationToken" || code == "AuthenticationFailed" ||
      code == "InvalidAuthenticationTokenTenant")
    return ErrorCode::Unauthenticated;
  if (code == "ResourceNotFound" || code == "ResourceGroupNotFound" || code == "NotFound" || code == "SubscriptionNotFound")
    return ErrorCode::NotFound;
  if (code == "SkuNotAvailable" || code == "AllocationFailed" || code == "ZonalAllocationFailed" ||
      code == "OverconstrainedAllocationRequest" || code == "OverconstrainedZonalAllocationRequest" ||
      code == "OperationNotAllowed" || code == "QuotaExceeded" || code == "TooManyRequests")
    return ErrorCode::ResourceExhausted;
  if (code == "InvalidParameter" || code == "InvalidRequestContent" || code == "InvalidResourceReference" ||
      code == "MissingApiVersionParameter" || code == "InvalidApiVersionParameter" || code == "BadRequest" ||
      code == "LocationRequired" || code == "ImageNotFound" || code == "PlatformImageNotFound")
    return ErrorCode::InvalidArgument;
  if (code == "Conflict" || code == "PropertyChangeNotAllowed") return ErrorCode::FailedPrecondition;
  if (code == "InternalServerError" || code == "InternalExecutionError" || code == "ServiceUnavailable" ||
      code == "RetryableError")
    return ErrorCode::Unavailable;
  return fallback;
}

Error armError(std::string_view operation, const http::Response& response) {
  Error error = *http::errorFromResponse(operation, response);
  try {
    const auto j = json::parse(response.body);
    if (j.contains("error") && j["error"].is_object()) {
      error.providerCode = j["error"].value("code", "");
      const std::string message = j["error"].value("message", "");
      if (!message.empty()) error.message = std::string(operation) + ": " + message;
      // 429 and 5xx keep the status's code, so that they stay retryable whatever the document says.
      if (response.status < 500 && response.status != 429) error.code = mapArmErrorCode(error.providerCode, error.code);
    }
  } catch (const json::exception&) {
    // not ARM's error document: the status mapping stands
  }
  return error;
}

Result<std::string> buildVmBody(const LaunchSpec& spec, const ArmSettings& settings, std::string_view location,
                                std::string_view subnetId) {
  if (spec.jobId.empty()) return makeError(ErrorCode::InvalidArgument, "VirtualMachines.CreateOrUpdate: the job id is empty");
  if (spec.attempt < 1)
    return makeError(ErrorCode::InvalidArgument, "VirtualMachines.CreateOrUpdate: the attempt must be 1 or more");
  if (spec.instanceType.empty())
    return makeError(ErrorCode::InvalidArgument, "VirtualMachines.CreateOrUpdate: no VM size given");
  if (settings.sshPublicKey.empty())
    return makeError(ErrorCode::FailedPrecondition, "VirtualMachines.CreateOrUpdate: no SSH public key configured");
  if (spec.maxPricePerHour && !(*spec.maxPricePerHour > 0))
    return makeError(ErrorCode::InvalidArgument, "VirtualMachines.CreateOrUpdate: the spot price cap must be positive");
  const std::string customData = base64Encode(spec.startupScript);
  if (customData.size() > 87380)
    return makeError(ErrorCode::InvalidArgument, "VirtualMachines.CreateOrUpdate: the startup script is over 64 KiB");
  const std::string image = spec.image.empty() ? settings.image : spec.image;
  std::vector<std::string> urn;
  for (std::size_t start = 0;;) {
    const auto colon = image.find(':', start);
    urn.push_back(image.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (urn.size() != 4)
    return makeError(ErrorCode::InvalidArgument,
                     "VirtualMachines.CreateOrUpdate: image '" + image + "' is not publisher:offer:sku:version");
  const std::string name = vmName(spec.jobId, spec.attempt);
  json tags = {{std::string(kJobTag), spec.jobId}, {std::string(kAttemptTag), std::to_string(spec.attempt)}};
  for (const auto& [k, v] : spec.extraTags)
    if (!tags.contains(k)) tags[k] = v;
  json props = {
      {"hardwareProfile", {{"vmSize", spec.instanceType}}},
      {"storageProfile",
       {{"imageReference", {{"publisher", urn[0]}, {"offer", urn[1]}, {"sku", urn[2]}, {"version", urn[3]}}},
        {"osDisk",
         {{"name", name + "-osdisk"},
          {"createOption", "FromImage"},
          {"deleteOption", "Delete"},
          {"diskSizeGB", spec.rootVolumeGiB},
          {"managedDisk", {{"storageAccountType", settings.osDiskType}}}}}}},
      {"osProfile",
       {{"computerName", name},
        {"adminUsername", settings.adminUsername},
        {"linuxConfiguration",
         {{"disablePasswordAuthentication", true},
          {"ssh",
           {{"publicKeys", json::array({json{{"path", "/home/" + settings.adminUsername + "/.ssh/authorized_keys"},
                                             {"keyData", settings.sshPublicKey}}})}}}}}}},
      {"networkProfile",
       {{"networkApiVersion", "2022-11-01"},
        {"networkInterfaceConfigurations",
         json::array({json{
             {"name", name + "-nic"},
             {"properties",
              {{"primary", true},
               {"deleteOption", "Delete"},
               {"ipConfigurations",
                json::array({json{{"name", "ipconfig1"},
                                  {"properties",
                                   {{"subnet", {{"id", std::string(subnetId)}}},
                                    {"publicIPAddressConfiguration",
                                     {{"name", name + "-ip"},
                                      {"sku", {{"name", "Standard"}}},
                                      {"properties", {{"deleteOption", "Delete"}}}}}}}}})}}}}})}}}};
  if (!spec.startupScript.empty()) props["osProfile"]["customData"] = customData;
  if (spec.spot) {
    props["priority"] = "Spot";
    props["evictionPolicy"] = "Delete";
    props["billingProfile"] = {{"maxPrice", spec.maxPricePerHour ? *spec.maxPricePerHour : -1.0}};
  } else {
    props["priority"] = "Regular";
  }
  json body = {{"location", std::string(location)}, {"tags", tags}, {"properties", props}};
  if (!spec.instanceIdentity.empty())
    body["identity"] = {{"type", "UserAssigned"}, {"userAssignedIdentities", {{spec.instanceIdentity, json::object()}}}};
  return body.dump();
}

ArmCompute::ArmCompute(ArmSettings settings, Transport transport) : m_settings(std::move(settings)), m_transport(transport) {}

std::string ArmCompute::groupUrl() const {
  std::string url = m_settings.endpoint;
  if (url.ends_with('/')) url.pop_back();
  return url + "/subscriptions/" + m_settings.subscriptionId + "/resourceGroups/" + m_settings.resourceGroup;
}

Result<http::Response> ArmCompute::call(std::string_view operation, std::string method, std::string url, std::string body,
                                        const CallOptions& options) {
  if (!m_settings.tokens) return makeError(ErrorCode::FailedPrecondition, std::string(operation) + ": no Azure credentials");
  if (m_settings.subscriptionId.empty())
    return makeError(ErrorCode::FailedPrecondition, std::string(operation) + ": no Azure subscription");
  // Every ARM call Spotwise makes is a GET, an idempotent PUT or a DELETE: all safe to repeat.
  http::Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  return callWithBearerToken(m_transport, *m_settings.tokens, operation, request, http::Idempotency::Idempotent,
                             options, armError);
}

Result<void> ArmCompute::awaitOperation(std::string_view operation, const http::Response& started, const CallOptions& options) {
  const auto url = started.header("Azure-AsyncOperation");
  if (!url) return {};  // finished synchronously
  auto last = pollUntilDone(m_transport, operation, m_settings.operationWait, options, [&]() -> Result<OperationPoll> {
    auto status = call(operation, "GET", *url, "", options);
    if (!status) return status.error();
    json j;
    try {
      j = json::parse(status->body);
    } catch (const json::exception&) {
      return makeError(ErrorCode::Unavailable, std::string(operation) + ": the operation status is not JSON");
    }
    // Read field by field: any JSON may come back (a proxy's, a changed API's), and a value of an
    // unexpected type counts as missing. A status not known (yet) is polled again until the deadline.
    const auto stringField = [](const json& object, const char* key) {
      return object.is_object() && object.contains(key) && object[key].is_string() ? object[key].get<std::string>()
                                                                                    : std::string();
    };
    const std::string state = stringField(j, "status");
    if (state == "Succeeded") return OperationPoll{.done = true, .state = state, .next = {}};
    if (state == "Failed" || state == "Canceled") {
      const json e = j.is_object() && j.contains("error") ? j["error"] : json::object();
      const std::string message = stringField(e, "message");
      Error error = makeError(ErrorCode::FailedPrecondition,
                              std::string(operation) + ": " + (message.empty() ? "the operation " + state : message));
      error.providerCode = stringField(e, "code");
      error.code = mapArmErrorCode(error.providerCode, ErrorCode::FailedPrecondition);
      return error;
    }
    std::chrono::milliseconds wait(2000);
    if (auto after = status->header("Retry-After")) {
      int seconds = 0;
      const std::string_view text = *after;
      std::from_chars(text.data(), text.data() + text.size(), seconds);
      if (seconds > 0 && seconds < 60) wait = std::chrono::seconds(seconds);
    }
    return OperationPoll{.done = false, .state = state, .next = wait};
  });
  if (!last) return last.error();
  if (!last->done)
    return makeError(ErrorCode::DeadlineExceeded,
                     std::string(operation) + ": still " + (last->state.empty() ? std::string("running") : last->state) + " at the deadline");
  return {};
}

Result<std::string> ArmCompute::ensureNetwork(std::string_view location, const CallOptions& options) {
  const std::string vnet = "spotwise-vnet-" + std::string(location);
  const std::string vnetId = "/subscriptions/" + m_settings.subscriptionId + "/resourceGroups/" + m_settings.resourceGroup +
                             "/providers/Microsoft.Network/virtualNetworks/" + vnet;
  const std::string subnetId = vnetId + "/subnets/default";
  {
    std::lock_guard lock(m_mutex);
    if (m_readyLocations.contains(std::string(location))) return subnetId;
  }
  std::string base = m_settings.endpoint;
  if (base.ends_with('/')) base.pop_back();
  const json group = {{"location", m_settings.defaultLocation}, {"tags", {{"managed-by", "spotwise"}}}};
  auto rg = call("ResourceGroups.CreateOrUpdate", "PUT", groupUrl() + "?api-version=" + std::string(kResourcesApi),
                 group.dump(), options);
  if (!rg) return rg.error();
  const json network = {{"location", std::string(location)},
                        {"tags", {{"managed-by", "spotwise"}}},
                        {"properties",
                         {{"addressSpace", {{"addressPrefixes", json::array({"10.72.0.0/16"})}}},
                          {"subnets", json::array({json{{"name", "default"}, {"properties", {{"addressPrefix", "10.72.0.0/20"}}}}})}}}};
  auto put = call("VirtualNetworks.CreateOrUpdate", "PUT", base + vnetId + "?api-version=" + std::string(kNetworkApi),
                  network.dump(), options);
  if (!put) return put.error();
  if (auto done = awaitOperation("VirtualNetworks.CreateOrUpdate", *put, options); !done) return done.error();
  std::lock_guard lock(m_mutex);
  m_readyLocations.insert(std::string(location));
  return subnetId;
}

Result<Instance> ArmCompute::launch(const LaunchSpec& spec, const CallOptions& options) {
  const std::string location = spec.region.empty() ? m_settings.defaultLocation : spec.region;
  auto subnet = ensureNetwork(location, options);
  if (!subnet) return subnet.error();
  auto body = buildVmBody(spec, m_settings, location, *subnet);
  if (!body) return body.error();
  const std::string url = groupUrl() + "/providers/Microsoft.Compute/virtualMachines/" + vmName(spec.jobId, spec.attempt);
  auto put = call("VirtualMachines.CreateOrUpdate", "PUT", url + "?api-version=" + std::string(kComputeApi), *body, options);
  if (!put) return put.error();
  if (auto done = awaitOperation("VirtualMachines.CreateOrUpdate", *put, options); !done) {
    if (done.error().code != ErrorCode::DeadlineExceeded && done.error().code != ErrorCode::Cancelled) {
      // A VM that failed to deploy still holds its disk, NIC and address: delete it, so a failed
      // launch leaves nothing billing (best effort, with its own short deadline).
      CallOptions cleanup;
      cleanup.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      (void)terminate({{location, vmName(spec.jobId, spec.attempt)}}, cleanup);
    }
    return done.error();
  }
  auto got = call("VirtualMachines.Get", "GET",
                  url + "?api-version=" + std::string(kComputeApi) + "&$expand=instanceView", "", options);
  if (!got) return got.error();
  try {
    return fromJson(json::parse(got->body));
  } catch (const json::exception& e) {
    return makeError(ErrorCode::Unavailable, std::string("VirtualMachines.Get: ") + e.what());
  }
}

Result<std::vector<Instance>> ArmCompute::listAll(const CallOptions& options) {
  std::string base = m_settings.endpoint;
  if (base.ends_with('/')) base.pop_back();
  std::string url = base + "/subscriptions/" + m_settings.subscriptionId +
                    "/providers/Microsoft.Compute/virtualMachines?api-version=" + std::string(kComputeApi) + "&statusOnly=true";
  std::vector<Instance> out;
  for (int pages = 0; pages < 1000 && !url.empty(); ++pages) {
    auto page = call("VirtualMachines.ListAll", "GET", url, "", options);
    if (!page) return page.error();
    try {
      const auto j = json::parse(page->body);
      for (const auto& vm : j.value("value", json::array()))
        if (vm.contains("tags") && vm["tags"].is_object() && vm["tags"].contains(std::string(kJobTag)))
          out.push_back(fromJson(vm));
      url = j.value("nextLink", "");
    } catch (const json::exception& e) {
      return makeError(ErrorCode::Unavailable, std::string("VirtualMachines.ListAll: ") + e.what());
    }
  }
  return out;
}

Result<std::map<std::string, ArmCompute::VmEnd>> ArmCompute::vmEnds(const CallOptions& options) {
  std::string base = m_settings.endpoint;
  if (base.ends_with('/')) base.pop_back();
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string filter = "eventTimestamp ge '" + formatIso8601Utc(now - kEvictionLookbackSeconds) +
                             "' and resourceGroupName eq '" + m_settings.resourceGroup + "'";
  std::string url = base + "/subscriptions/" + m_settings.subscriptionId +
                    "/providers/Microsoft.Insights/eventtypes/management/values?api-version=" +
                    std::string(kActivityLogApi) + "&$filter=" + percentEncode(filter) +
                    "&$select=" + percentEncode("eventTimestamp,operationName,resourceId,status");
  std::map<std::string, VmEnd> ends;
  for (int pages = 0; pages < 50 && !url.empty(); ++pages) {
    auto page = call("ActivityLogs.List", "GET", url, "", options);
    if (!page) return page.error();
    try {
      const auto j = json::parse(page->body);
      for (const auto& e : j.value("value", json::array())) {
        std::string operation = e.value("operationName", json::object()).value("value", "");
        for (auto& c : operation) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const std::string resource = e.value("resourceId", "");
        const auto slash = resource.rfind('/');
        if (slash == std::string::npos) continue;
        std::string kind = resource.substr(0, slash);
        for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!kind.ends_with("/providers/microsoft.compute/virtualmachines")) continue;
        VmEnd end;
        if (operation == "microsoft.compute/virtualmachines/evictspotvm/action") end.reason = EndReason::SpotInterruption;
        else if (operation == "microsoft.compute/virtualmachines/delete") end.reason = EndReason::User;
        else continue;
        const std::string when = e.value("eventTimestamp", "");
        end.atMs = parseIso8601Utc(when.substr(0, 19) + "Z").value_or(0) * 1000;
        auto& known = ends[resource.substr(slash + 1)];
        // An eviction outranks the delete that follows it; otherwise the latest event wins.
        if (known.reason == EndReason::SpotInterruption && end.reason != EndReason::SpotInterruption) continue;
        if (end.reason == EndReason::SpotInterruption || end.atMs >= known.atMs) known = end;
      }
      url = j.value("nextLink", "");
    } catch (const json::exception& e) {
      return makeError(ErrorCode::Unavailable, std::string("ActivityLogs.List: ") + e.what());
    }
  }
  return ends;
}

Result<std::vector<Instance>> ArmCompute::describe(const std::vector<InstanceRef>& refs, const CallOptions& options) {
  if (refs.empty()) return std::vector<Instance>{};
  auto all = listAll(options);
  if (!all) return all.error();
  std::map<std::string, Instance> byName;
  for (auto& i : *all) byName.emplace(i.id, std::move(i));
  std::vector<Instance> out;
  std::optional<Result<std::map<std::string, VmEnd>>> ends;  // read once, only when a VM is gone
  for (const auto& ref : refs) {
    if (auto it = byName.find(ref.id); it != byName.end()) {
      out.push_back(it->second);
      continue;
    }
    // Gone: deleted by us, or evicted (evictionPolicy Delete removes the VM). Only the Activity
    // Log still says which (Microsoft.Compute/virtualMachines/evictSpotVM/action); it can lag by
    // a few minutes, so an eviction not logged yet reads as Unknown.
    if (!ends) ends = vmEnds(options);
    Instance gone;
    gone.id = ref.id;
    gone.region = ref.region;
    gone.state = InstanceState::Terminated;
    gone.endReason = EndReason::Unknown;
    gone.stateMessage = "deleted";
    if (!ends->ok()) {
      gone.stateMessage = "deleted (why is unknown: " + ends->error().message + ")";
    } else if (auto end = (*ends)->find(ref.id); end != (*ends)->end()) {
      gone.endReason = end->second.reason;
      gone.endedAtMs = end->second.atMs;
      gone.stateMessage = end->second.reason == EndReason::SpotInterruption ? "evicted by Azure (Spot)" : "deleted";
    }
    out.push_back(std::move(gone));
  }
  return out;
}

Result<std::vector<Instance>> ArmCompute::listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                                    const CallOptions& options) {
  auto all = listAll(options);
  if (!all) return all.error();
  std::vector<Instance> out;
  for (auto& i : *all) {
    if (!jobId.empty() && i.jobId != jobId) continue;
    if (!regions.empty() && std::find(regions.begin(), regions.end(), i.region) == regions.end()) continue;
    out.push_back(std::move(i));
  }
  return out;
}

Result<void> ArmCompute::terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) {
  for (const auto& ref : refs) {
    auto deleted = call("VirtualMachines.Delete", "DELETE",
                        groupUrl() + "/providers/Microsoft.Compute/virtualMachines/" + ref.id + "?api-version=" +
                            std::string(kComputeApi),
                        "", options);
    if (!deleted && deleted.error().code != ErrorCode::NotFound) return deleted.error();
  }
  return {};
}

}  // namespace spotwise::cloud::azure
