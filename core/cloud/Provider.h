#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"

namespace spotwise::cloud {

/** Normalised instance lifecycle across AWS, GCP, Azure and Local. */
enum class InstanceState { Pending, Running, Stopping, Terminated };

/** Why an instance ended (or is ending), where the provider says. */
enum class EndReason { None, User, SpotInterruption, Capacity, Error, Unknown };

/** Deadline and cancellation for one call. Every Provider call honours both. */
struct CallOptions {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::stop_token stop;
};

/** What to launch for one attempt of one job. */
struct LaunchSpec {
  std::string jobId;
  int attempt = 1;
  std::string region;
  std::string zone;            ///< empty: let the provider choose
  std::string instanceType;
  bool spot = true;
  std::optional<double> maxPricePerHour;  ///< spot price cap; nullopt = on-demand price cap
  std::string image;           ///< provider image id/family; empty = the provider's default GPU image
  std::string startupScript;   ///< user-data / startup-script / customData (plain text)
  int rootVolumeGiB = 100;
  std::string instanceIdentity;  ///< instance profile / service account / managed identity for the VM
  std::map<std::string, std::string> extraTags;

  /**
   * Idempotency token derived from (job, attempt): the same for every retry of this launch, so a
   * retried call never starts a second instance.
   */
  [[nodiscard]] std::string clientToken() const { return "spotwise-" + jobId + "-" + std::to_string(attempt); }
};

/** The tags every Spotwise resource carries. */
inline constexpr std::string_view kJobTag = "spotwise-job";
inline constexpr std::string_view kAttemptTag = "spotwise-attempt";

/** An instance as the provider reports it. */
struct Instance {
  std::string id;
  std::string region;
  std::string zone;
  std::string instanceType;
  InstanceState state = InstanceState::Pending;
  EndReason endReason = EndReason::None;
  std::string stateMessage;    ///< provider's own words (state reason), for the UI and the ledger
  std::string jobId;           ///< from the spotwise-job tag
  int attempt = 0;             ///< from the spotwise-attempt tag
  bool spot = true;
  std::int64_t launchedAtUnix = 0;
  /// When the provider says the instance ended (billing stopped), Unix ms; 0 while running or unknown.
  /// (AWS: the time in StateTransitionReason; GCP: lastStopTimestamp; Azure: the instance view's status time.)
  std::int64_t endedAtMs = 0;
};

/** An instance to look up: describe() batches by region (one call per region). */
struct InstanceRef {
  std::string region;
  std::string id;
};

/** Compute: launch, watch and stop instances. Implementations are thread-compatible. */
class ComputeService {
 public:
  virtual ~ComputeService() = default;
  /** Launches one instance for spec.attempt of spec.jobId, tagged with both. */
  virtual Result<Instance> launch(const LaunchSpec& spec, const CallOptions& options) = 0;
  /** Current state of the given instances; one call per region. Unknown ids come back Terminated. */
  virtual Result<std::vector<Instance>> describe(const std::vector<InstanceRef>& refs, const CallOptions& options) = 0;
  /** Every instance carrying spotwise-job=jobId (any jobId when empty), in `regions` (all known when empty). */
  virtual Result<std::vector<Instance>> listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                                  const CallOptions& options) = 0;
  /** Requests termination; succeeds when the provider accepted it (use describe() to confirm). */
  virtual Result<void> terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) = 0;
};

/** Metadata of a stored object. */
struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;
  std::int64_t modifiedUnix = 0;
};

/** Object storage under one bucket/container. Keys are '/'-separated paths. */
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual Result<void> put(std::string_view key, std::string_view bytes, const CallOptions& options) = 0;
  /** Uploads a file, in parts (multipart/resumable/blocks) when it is large. */
  virtual Result<void> putFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) = 0;
  virtual Result<std::string> get(std::string_view key, const CallOptions& options) = 0;
  virtual Result<void> getFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) = 0;
  /** NotFound when absent. */
  virtual Result<ObjectInfo> head(std::string_view key, const CallOptions& options) = 0;
  virtual Result<std::vector<ObjectInfo>> list(std::string_view prefix, const CallOptions& options) = 0;
  /** Succeeds when the object is gone, including when it never existed. */
  virtual Result<void> remove(std::string_view key, const CallOptions& options) = 0;
};

/**
 * What the instance gets to reach its job's storage: never the user's long-term keys.
 * kind: "instance-role" (AWS instance profile), "service-account" (GCP), "sas" (Azure: a SAS
 * with expiry on the job's own container), "local-path" (Local provider).
 */
struct InstanceAccess {
  std::string kind;
  std::map<std::string, std::string> values;  ///< e.g. {"sasUrl": ...}, {"instanceProfile": ...}
  std::int64_t expiresUnix = 0;               ///< 0 when it does not expire
};

/** One cloud (or Local): compute + storage + scoped access for instances. */
class Provider {
 public:
  virtual ~Provider() = default;
  [[nodiscard]] virtual std::string_view id() const = 0;  ///< "aws", "gcp", "azure", "local"
  virtual ComputeService& compute() = 0;
  virtual ObjectStore& storage() = 0;
  /** Access for the instances of `jobId`, limited to `prefix` in the job's storage, valid until `expiresUnix`. */
  virtual Result<InstanceAccess> issueInstanceAccess(std::string_view jobId, std::string_view prefix,
                                                     std::int64_t expiresUnix, const CallOptions& options) = 0;
};

}  // namespace spotwise::cloud
