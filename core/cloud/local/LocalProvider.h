#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud/Provider.h"

namespace spotwise::cloud::local {

/**
 * Preemption rehearsal for Local instances. A notice comes at `hazardPerHour` notices per
 * *simulated* hour (one real second = `timeLapse` simulated seconds) and on demand
 * (LocalCompute::preemptNow). After `noticeSeconds` (real) the instance is killed like a cloud
 * reclaims a spot machine. Recorded in each instance at launch.
 */
struct PreemptionRehearsal {
  double hazardPerHour = 0.0;       ///< 0: notices only on demand
  double timeLapse = 1.0;           ///< simulated seconds per real second (>= 1)
  double noticeSeconds = 120.0;     ///< AWS gives 120 s; shorten it for quick rehearsals
  std::optional<std::uint64_t> seed;  ///< fixed seed: the same notice times on every run
};

/** Where Local keeps its instances and its bucket, and how it runs them. */
struct LocalProviderOptions {
  std::filesystem::path root;        ///< instances live in root/instances/<id>/ (the sandboxes)
  std::filesystem::path bucketRoot;  ///< the "bucket"; empty = root/bucket (created if missing)
  std::string python = "python3";    ///< interpreter for the instance and the agent
  PreemptionRehearsal rehearsal;
  /// Extra environment for every instance's processes (e.g. PATH with a fake nvidia-smi in tests).
  std::map<std::string, std::string> instanceEnvironment;
};

/** What a Local instance would have cost: simulated at the offer's price, always a rehearsal. */
struct RehearsalSpend {
  double realSeconds = 0;
  double simulatedSeconds = 0;  ///< realSeconds × timeLapse
  double pricePerHour = 0;
  double dollars = 0;           ///< simulatedSeconds × pricePerHour / 3600
  bool rehearsal = true;        ///< never real money: label it so in the UI and the ledger
};

/**
 * A folder as an object store. Keys map to files under the root; every write goes to a
 * temporary file in the same folder and is renamed into place, so a reader sees the old or the
 * new object, never part of one. The root must exist (NotFound otherwise, as for a missing bucket).
 * Thread-compatible; safe against concurrent writers of different keys (and other processes).
 */
class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(std::filesystem::path root);
  Result<void> put(std::string_view key, std::string_view bytes, const CallOptions& options) override;
  Result<void> putFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) override;
  Result<std::string> get(std::string_view key, const CallOptions& options) override;
  Result<void> getFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) override;
  Result<ObjectInfo> head(std::string_view key, const CallOptions& options) override;
  Result<std::vector<ObjectInfo>> list(std::string_view prefix, const CallOptions& options) override;
  Result<void> remove(std::string_view key, const CallOptions& options) override;
  [[nodiscard]] const std::filesystem::path& root() const { return m_root; }

 private:
  Result<std::filesystem::path> pathFor(std::string_view operation, std::string_view key) const;
  std::filesystem::path m_root;
};

/**
 * Instances as real process trees on this computer. Each launch starts
 * resources/local/local_instance.py in a new session (double fork: it is not our child and
 * survives the app quitting): it serves a loopback metadata service (AWS IMDSv2, GCP, Azure
 * shapes), runs the rendered startup script (the real agent) and plays the cloud's preemption
 * and termination. State lives on disk (instance.json written here, runtime.json written by the
 * instance, control/ files as requests), so a restarted app re-attaches with listByTag/describe.
 *
 * Region is always "local". launch() is idempotent per LaunchSpec::clientToken(). The price an
 * instance is simulated at comes from extraTags["spotwise-price-per-hour"], else maxPricePerHour.
 * Linux only (/proc). Thread-compatible.
 */
class LocalCompute final : public ComputeService {
 public:
  explicit LocalCompute(LocalProviderOptions options);
  Result<Instance> launch(const LaunchSpec& spec, const CallOptions& options) override;
  Result<std::vector<Instance>> describe(const std::vector<InstanceRef>& refs, const CallOptions& options) override;
  Result<std::vector<Instance>> listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                          const CallOptions& options) override;
  /** Kills every process of the instances (their whole session), as the cloud would. */
  Result<void> terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) override;

  /** "Preempt now": the instance gets a spot interruption notice, then is reclaimed. */
  Result<void> preemptNow(std::string_view instanceId);
  /** Rehearsal spend of one instance so far (or until it ended). */
  Result<RehearsalSpend> spend(std::string_view instanceId) const;
  /** The rehearsal applied to instances launched from now on. */
  void setRehearsal(const PreemptionRehearsal& rehearsal) { m_options.rehearsal = rehearsal; }
  /** An instance's sandbox folder (agent files, console and bootstrap logs). */
  [[nodiscard]] std::filesystem::path sandbox(std::string_view instanceId) const;
  /** Pids still alive in the instance's session (empty once it is fully gone). */
  [[nodiscard]] std::vector<int> livePids(std::string_view instanceId) const;

 private:
  Result<Instance> read(std::string_view instanceId) const;
  std::filesystem::path instancesDir() const { return m_options.root / "instances"; }
  LocalProviderOptions m_options;
};

/**
 * The Local provider: LocalCompute + LocalObjectStore on one folder. issueInstanceAccess gives
 * {"kind":"local-path", values {"path": <bucket>/<prefix>}} and creates that folder.
 */
class LocalProvider final : public Provider {
 public:
  explicit LocalProvider(const LocalProviderOptions& options);
  [[nodiscard]] std::string_view id() const override { return "local"; }
  ComputeService& compute() override { return m_compute; }
  ObjectStore& storage() override { return m_storage; }
  Result<InstanceAccess> issueInstanceAccess(std::string_view jobId, std::string_view prefix, std::int64_t expiresUnix,
                                             const CallOptions& options) override;
  LocalCompute& localCompute() { return m_compute; }
  LocalObjectStore& localStorage() { return m_storage; }

 private:
  LocalCompute m_compute;
  LocalObjectStore m_storage;
};

/** The instance script embedded in the binaries (resources/local/local_instance.py). */
std::string_view localInstanceScript();

}  // namespace spotwise::cloud::local
