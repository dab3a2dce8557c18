#include "core/cloud/gcp/GceCompute.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "core/cloud/Encoding.h"

namespace spotwise::cloud::gcp {

namespace {

std::pair<std::string, std::string> splitId(std::string_view id) {
  const auto slash = id.find('/');
  if (slash == std::string_view::npos) return {{}, std::string(id)};
  return {std::string(id.substr(0, slash)), std::string(id.substr(slash + 1))};
}

}  // namespace

GceCompute::GceCompute(GcpSettings settings, Transport transport)
    : m_settings(std::move(settings)), m_transport(transport) {}

Result<http::Response> GceCompute::call(std::string_view operation, std::string method, const std::string& path,
                                        std::string body, http::Idempotency idempotency, const CallOptions& options) {
  if (!m_settings.tokens) return makeError(ErrorCode::FailedPrecondition, std::string(operation) + ": no GCP credentials");
  if (m_settings.project.empty()) return makeError(ErrorCode::FailedPrecondition, std::string(operation) + ": no GCP project");
  std::string url = m_settings.computeEndpoint;
  if (!url.ends_with('/')) url += '/';
  url += "projects/" + percentEncode(m_settings.project) + "/" + path;
  http::Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  return callWithBearerToken(m_transport, *m_settings.tokens, operation, request, idempotency, options, gceError);
}

Result<Instance> GceCompute::launch(const LaunchSpec& spec, const CallOptions& options) {
  GceLaunchOptions launchOptions = m_settings.launch;
  launchOptions.project = m_settings.project;
  launchOptions.zone = !spec.zone.empty()      ? spec.zone
                       : spec.region.empty()   ? m_settings.defaultZone
                       : m_settings.defaultZone.starts_with(spec.region + "-") ? m_settings.defaultZone
                                                                               : spec.region + "-a";
  auto body = buildInsertBody(spec, launchOptions);
  if (!body) return body.error();
  const std::string zone = launchOptions.zone;
  const std::string name = instanceName(spec.jobId, spec.attempt);
  const std::string requestId = requestIdFor(spec.clientToken());
  // The requestId makes the insert safe to repeat: GCE answers a repeat with the first operation.
  auto inserted = call("instances.insert", "POST", "zones/" + zone + "/instances?requestId=" + requestId, *body,
                       http::Idempotency::Idempotent, options);
  if (!inserted) {
    if (inserted.error().providerCode != "alreadyExists") return inserted.error();
    // The name is (job, attempt): it exists because an earlier try of this very launch got through.
  } else {
    auto op = parseOperation(inserted->body, "instances.insert");
    if (!op) return op.error();
    // zoneOperations.wait itself waits (up to two minutes) for the operation, so no sleep between looks.
    auto last = pollUntilDone(
        m_transport, "instances.insert", m_settings.operationWait, options, [&]() -> Result<OperationPoll> {
          if (!op->done) {
            auto waited = call("zoneOperations.wait", "POST", "zones/" + zone + "/operations/" + op->name + "/wait", "",
                               http::Idempotency::Idempotent, options);
            if (!waited) return waited.error();
            op = parseOperation(waited->body, "instances.insert");
            if (!op) return op.error();
          }
          if (op->error) return *op->error;
          return OperationPoll{.done = op->done, .state = op->done ? "DONE" : "RUNNING", .next = {}};
        });
    // An insert still running when the wait is over has made its instance all the same: it is
    // looked up below and reported in the state it is in.
    if (!last) return last.error();
  }
  auto got = call("instances.get", "GET", "zones/" + zone + "/instances/" + name, "", http::Idempotency::Idempotent, options);
  if (!got) return got.error();
  return parseInstance(got->body);
}

Result<std::vector<Instance>> GceCompute::aggregated(const std::string& filter, const CallOptions& options) {
  std::vector<Instance> out;
  std::string token;
  for (int pages = 0; pages < 1000; ++pages) {
    std::string path = "aggregated/instances?maxResults=500&filter=" + percentEncode(filter);
    if (!token.empty()) path += "&pageToken=" + percentEncode(token);
    auto response = call("instances.aggregatedList", "GET", path, "", http::Idempotency::Idempotent, options);
    if (!response) return response.error();
    auto page = parseAggregatedInstances(response->body);
    if (!page) return page.error();
    for (auto& i : page->instances) out.push_back(std::move(i));
    if (page->nextPageToken.empty() || page->nextPageToken == token) return out;
    token = page->nextPageToken;
  }
  return makeError(ErrorCode::Internal, "instances.aggregatedList: more than 1000 pages");
}

Result<std::vector<Instance>> GceCompute::describe(const std::vector<InstanceRef>& refs, const CallOptions& options) {
  if (refs.empty()) return std::vector<Instance>{};
  auto all = aggregated("labels." + std::string(kJobTag) + ":*", options);
  if (!all) return all.error();
  std::map<std::string, Instance> byId;
  for (auto& i : *all) byId.emplace(i.id, std::move(i));
  std::vector<Instance> out;
  std::vector<std::size_t> missing;
  for (const auto& ref : refs) {
    if (auto it = byId.find(ref.id); it != byId.end()) {
      out.push_back(it->second);
      continue;
    }
    Instance gone;
    gone.id = ref.id;
    gone.zone = splitId(ref.id).first;
    gone.region = ref.region;
    gone.state = InstanceState::Terminated;
    gone.endReason = EndReason::Unknown;
    gone.stateMessage = "deleted";
    missing.push_back(out.size());
    out.push_back(std::move(gone));
  }
  if (!missing.empty()) {
    // A Spot VM with the DELETE action simply vanishes when preempted; the zone's operations say why.
    auto ops = call("zoneOperations.aggregatedList", "GET",
                    "aggregated/operations?filter=" + percentEncode("operationType=\"compute.instances.preempted\""), "",
                    http::Idempotency::Idempotent, options);
    if (!ops) return ops.error();
    auto targets = parsePreemptedTargets(ops->body);
    if (!targets) return targets.error();
    const std::set<std::string> preempted(targets->begin(), targets->end());
    for (const auto index : missing)
      if (preempted.contains(out[index].id)) {
        out[index].endReason = EndReason::SpotInterruption;
        out[index].stateMessage = "preempted by Compute Engine";
      }
  }
  return out;
}

Result<std::vector<Instance>> GceCompute::listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                                    const CallOptions& options) {
  const std::string filter = jobId.empty() ? "labels." + std::string(kJobTag) + ":*"
                                           : "labels." + std::string(kJobTag) + "=\"" + labelValue(jobId) + "\"";
  auto all = aggregated(filter, options);
  if (!all || regions.empty()) return all;
  std::vector<Instance> out;
  for (auto& i : *all)
    for (const auto& r : regions)
      if (i.region == r) out.push_back(i);
  return out;
}

Result<void> GceCompute::terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) {
  for (const auto& ref : refs) {
    const auto [zone, name] = splitId(ref.id);
    if (zone.empty() || name.empty())
      return makeError(ErrorCode::InvalidArgument, "instances.delete: '" + ref.id + "' is not <zone>/<name>");
    auto deleted = call("instances.delete", "DELETE",
                        "zones/" + zone + "/instances/" + name + "?requestId=" + requestIdFor("delete:" + ref.id), "",
                        http::Idempotency::Idempotent, options);
    if (!deleted && deleted.error().code != ErrorCode::NotFound) return deleted.error();
  }
  return {};
}

}  // namespace spotwise::cloud::gcp
