#pragma once

#include <map>
#include <mutex>
#include <set>

#include "core/auth/TokenSource.h"
#include "core/cloud/ApiCall.h"

namespace spotwise::cloud::azure {

struct ArmSettings {
  std::string subscriptionId;
  std::string endpoint = "https://management.azure.com";
  /** Everything Spotwise creates lives in this resource group (created when missing). */
  std::string resourceGroup = "spotwise";
  std::string defaultLocation = "eastus";
  /** Azure needs a Linux admin and a key; Spotwise never logs in, so any public key will do. */
  std::string adminUsername = "spotwise";
  std::string sshPublicKey;
  /** Image as "publisher:offer:sku:version"; LaunchSpec::image wins. Default: the HPC/AI Ubuntu image with NVIDIA drivers. */
  std::string image = "microsoft-dsvm:ubuntu-hpc:2204:latest";
  std::string osDiskType = "StandardSSD_LRS";
  /** Bearer tokens for ARM (must outlive the compute service). */
  auth::TokenSource* tokens = nullptr;
  std::chrono::seconds operationWait{std::chrono::minutes(5)};
};

/** The VM name for (job, attempt): "spotwise-<job>-<attempt>", letters, digits and '-', at most 64. */
std::string vmName(std::string_view jobId, int attempt);

/**
 * The VirtualMachine PUT body (api-version 2023-03-01): priority Spot, evictionPolicy Delete,
 * billingProfile.maxPrice (the cap, or -1 for "up to the on-demand price"), base64 customData,
 * tags, and NIC, public IP and OS disk created with deleteOption Delete so that deleting (or
 * evicting) the VM leaves nothing billing. InvalidArgument for a bad spec.
 */
Result<std::string> buildVmBody(const LaunchSpec& spec, const ArmSettings& settings, std::string_view location,
                                std::string_view subnetId);

/** The Error of a failed ARM call ({"error": {"code", "message"}}), code kept as providerCode. */
Error armError(std::string_view operation, const http::Response& response);

/** An ARM error code (from a response or a failed long-running operation) to an ErrorCode. */
ErrorCode mapArmErrorCode(std::string_view code, ErrorCode fallback);

/**
 * Azure Resource Manager compute with an AD token. launch() ensures the resource group and the
 * location's virtual network, PUTs the VM (a PUT of the same name is idempotent, so retries are
 * safe) and follows its Azure-AsyncOperation until it succeeds or fails. describe() and
 * listByTag() make one "list all VMs with status" call per subscription; when a described VM is
 * gone, describe() reads the resource group's Activity Log once (api-version 2015-04-01, the last
 * two days) to tell a Spot eviction (evictSpotVM/action → SpotInterruption) from a delete
 * (User); if that read fails the VM is still reported Terminated, reason Unknown. Instance ids are VM
 * names. Thread-compatible (the "already ensured" cache is guarded).
 */
class ArmCompute final : public ComputeService {
 public:
  ArmCompute(ArmSettings settings, Transport transport);

  Result<Instance> launch(const LaunchSpec& spec, const CallOptions& options) override;
  Result<std::vector<Instance>> describe(const std::vector<InstanceRef>& refs, const CallOptions& options) override;
  Result<std::vector<Instance>> listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                          const CallOptions& options) override;
  Result<void> terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) override;

 private:
  Result<http::Response> call(std::string_view operation, std::string method, std::string url, std::string body,
                              const CallOptions& options);
  Result<void> awaitOperation(std::string_view operation, const http::Response& started, const CallOptions& options);
  Result<std::string> ensureNetwork(std::string_view location, const CallOptions& options);
  Result<std::vector<Instance>> listAll(const CallOptions& options);
  /** Why each VM of the resource group that ended recently ended, by VM name, from the Activity Log. */
  struct VmEnd {
    EndReason reason = EndReason::Unknown;
    std::int64_t atMs = 0;
  };
  Result<std::map<std::string, VmEnd>> vmEnds(const CallOptions& options);
  [[nodiscard]] std::string groupUrl() const;

  ArmSettings m_settings;
  Transport m_transport;
  std::mutex m_mutex;
  std::set<std::string> m_readyLocations;
};

}  // namespace spotwise::cloud::azure
