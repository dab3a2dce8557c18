#pragma once

#include "core/auth/TokenSource.h"
#include "core/cloud/ApiCall.h"
#include "core/cloud/gcp/GceApi.h"

namespace spotwise::cloud::gcp {

struct GcpSettings {
  std::string project;
  /** Compute API base, ending in "/compute/v1/"; the lab points it at its contract server. */
  std::string computeEndpoint = "https://compute.googleapis.com/compute/v1/";
  std::string defaultZone = "us-central1-a";
  GceLaunchOptions launch;  ///< image, network, VM service account (project and zone are filled in per call)
  /** Bearer tokens for every call (must outlive the provider). */
  auth::TokenSource* tokens = nullptr;
  /** How long launch() waits for the insert operation before returning the instance as it is. */
  std::chrono::seconds operationWait{std::chrono::minutes(3)};
};

/**
 * Compute Engine over its REST API. launch() inserts with a requestId derived from the spec's
 * client token (so every retry, and a relaunch after a crash, is the same request), waits for the
 * zone operation (operations.wait), and adopts an instance that already exists under the spec's
 * deterministic name. describe() and listByTag() make one instances.aggregatedList call for all
 * zones (and one zoneOperations.aggregatedList when an instance has vanished, to tell a preemption
 * from a deletion). Instance ids are "<zone>/<name>". Thread-compatible.
 */
class GceCompute final : public ComputeService {
 public:
  GceCompute(GcpSettings settings, Transport transport);

  Result<Instance> launch(const LaunchSpec& spec, const CallOptions& options) override;
  Result<std::vector<Instance>> describe(const std::vector<InstanceRef>& refs, const CallOptions& options) override;
  Result<std::vector<Instance>> listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                          const CallOptions& options) override;
  Result<void> terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) override;

 private:
  Result<http::Response> call(std::string_view operation, std::string method, const std::string& path,
                              std::string body, http::Idempotency idempotency, const CallOptions& options);
  Result<std::vector<Instance>> aggregated(const std::string& filter, const CallOptions& options);

  GcpSettings m_settings;
  Transport m_transport;
};

}  // namespace spotwise::cloud::gcp
