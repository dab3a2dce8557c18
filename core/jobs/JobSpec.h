#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"

namespace spotwise::jobs {

/** The offer a job runs on: which machine, where, and at what price (USD per hour, whole machine). */
struct JobOffer {
  std::string provider;       ///< "aws", "gcp", "azure", "local"
  std::string region;
  std::string zone;           ///< empty: the provider chooses
  std::string instanceType;
  bool spot = true;
  double pricePerHour = 0.0;  ///< the price in effect for this market (spot or on-demand)
  std::optional<double> onDemandPricePerHour;  ///< needed for the on-demand fallback
  std::string gpuModel;       ///< normalised (T4, A100-80GB, ...); used to find alternative offers
  int gpuCount = 0;
};

/**
 * What to do after a preemption (DESIGN.md "Recovery strategy").
 * Attempt 1 runs on the job's offer. After a preemption the job relaunches on the same placement
 * until `moveAfterPreemptions` (K) preemptions happened there, then on the next-cheapest matching
 * offer; once `onDemandAfterPreemptions` (M, 0 = never) preemptions happened in total it falls back
 * to on-demand. `maxAttempts` bounds the instances launched; `maxCapacityRetries` bounds the launch
 * requests refused for lack of capacity (each backs off with jitter and tries the next zone/region).
 */
struct RecoveryPolicy {
  bool sameRegionFirst = true;
  int moveAfterPreemptions = 2;
  int onDemandAfterPreemptions = 0;
  int maxAttempts = 10;
  int maxCapacityRetries = 8;
};

/**
 * Everything needed to run one training job. Plain value type; saved as JSON
 * (format "spotwise-job/1", see saveJobSpec()).
 */
struct JobSpec {
  std::string name;
  JobOffer offer;
  std::string image;                     ///< empty: the provider's default GPU image
  std::filesystem::path codeDir;         ///< packed as code.tar.gz (honouring .gitignore/.spotwiseignore)
  std::string command;                   ///< run by the agent with `sh -c`
  std::map<std::string, std::string> environment;
  std::string storage;                   ///< "s3://bucket/prefix", "gs://...", "az://account/container/prefix", "local:///path"
  std::string checkpointSignal = "SIGTERM";
  int graceSeconds = 30;                 ///< time the program gets between the signal and the final upload
  int checkpointSyncSeconds = 60;        ///< how often the agent syncs checkpoints to storage
  RecoveryPolicy recovery;
  double budgetUsd = 0.0;                ///< hard cap on the job's spend
  std::int64_t maxRuntimeSeconds = std::int64_t{24} * 3600;  ///< wall time from the first launch; the agent's dead-man switch too
  int nodeCount = 1;                     ///< kept for multi-node jobs; only 1 is supported today
};

/** One invalid field: its JSON name and why. */
struct FieldError {
  std::string field;
  std::string message;
};

/** Limits that validation checks against (the code bundle size cap, ...). */
struct ValidationLimits {
  /// Sum of the sizes of the files the code bundle would hold (agent::scanCodeFolder: without .git and what
  /// .gitignore/.spotwiseignore leave out); the same default as agent::CodeBundleOptions, so a spec that
  /// validates also packs.
  std::uint64_t maxCodeBytes = 1ull << 30;
};

/**
 * Checks every field and returns one message per invalid field (empty when valid): the code folder
 * missing or too large, an empty command, a budget below one hour of the offer's price, ...
 * Reads the file system (codeDir). Thread-safe.
 */
std::vector<FieldError> validateJobSpec(const JobSpec& spec, const ValidationLimits& limits = {});

/** validateJobSpec() as a Result: InvalidArgument "JobSpec: field: message; field: message". */
Result<void> checkJobSpec(const JobSpec& spec, const ValidationLimits& limits = {});

/** Total size of the regular files under `dir`, skipping `.git`; nullopt when it cannot be read. */
std::optional<std::uint64_t> folderSize(const std::filesystem::path& dir);

/** JSON text of a spec (stable key order, pretty-printed). */
std::string serializeJobSpec(const JobSpec& spec);
/**
 * Parses JSON from serializeJobSpec() or written by hand: missing optional fields take their
 * defaults; wrong types and unknown keys are InvalidArgument naming the field.
 * A relative codeDir is resolved against `baseDir` when given.
 */
Result<JobSpec> parseJobSpec(std::string_view text, const std::filesystem::path& baseDir = {});
Result<JobSpec> loadJobSpec(const std::filesystem::path& file);
Result<void> saveJobSpec(const JobSpec& spec, const std::filesystem::path& file);

/** Storage location split into scheme, bucket and prefix ("s3://b/p/q" → "s3", "b", "p/q"). */
struct StorageLocation {
  std::string scheme;
  std::string bucket;  ///< for local://, the absolute folder
  std::string prefix;  ///< no leading or trailing '/'; may be empty
};
Result<StorageLocation> parseStorageLocation(std::string_view uri);

/** Signal names the agent understands. */
bool isKnownSignal(std::string_view name);

}  // namespace spotwise::jobs
