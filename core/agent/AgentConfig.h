#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/cloud/Provider.h"
#include "core/common/Result.h"

namespace spotwise::agent {

/**
 * Where the agent keeps the job's files: the bucket/container and the job's prefix in it
 * (`<prefix>/<job-id>`; every key the agent writes — code.tar.gz, checkpoints/, status.json,
 * logs/, result/ — is relative to it). Filled from cloud::InstanceAccess plus the JobSpec's
 * storage location; it never holds long-term keys.
 *
 * kind         | fields used
 * -------------|------------------------------------------------------------------------------
 * "local"      | path (the folder that *is* the job prefix; Local provider, local-path access)
 * "s3"         | bucket, prefix, region, endpoint (empty = AWS); credentials: the instance role
 * "gcs"        | bucket, prefix, endpoint (empty = Google); credentials: the VM service account
 * "azure-blob" | containerUrl, prefix, sasToken (a SAS scoped to the prefix, with an expiry)
 */
struct AgentStorage {
  std::string kind;
  std::string path;
  std::string bucket;
  std::string prefix;
  std::string region;
  std::string endpoint;
  std::string containerUrl;
  std::string sasToken;  ///< scoped + expiring; still treated as a secret: never logged
};

/** How the agent gets a working NVIDIA driver (see resources/agent/README.md). */
enum class DriverMode {
  Auto,     ///< verify; install from Ubuntu 22.04/24.04 packages when nvidia-smi does not work
  Verify,   ///< deep-learning images: the driver must already work, else the attempt fails
  Install,  ///< always install from the distribution's packages
  Skip,     ///< no GPU expected (Local provider, CPU instances)
};

/**
 * Everything the instance agent needs for one attempt of one job. A plain value owned by
 * core/agent; core/jobs fills it from its JobSpec and the attempt being launched.
 * Defaults follow resources/agent/README.md.
 */
struct AgentConfig {
  std::string provider;            ///< "aws", "gcp", "azure" or "local": picks the metadata service
  std::string jobId;               ///< [A-Za-z0-9._-]{1,64}
  int attempt = 1;                 ///< 1, 2, …
  std::string command;             ///< run with /bin/sh -c in the unpacked code folder
  std::map<std::string, std::string> environment;  ///< extra variables; SPOTWISE_* are reserved
  AgentStorage storage;
  std::string codeKey = "code.tar.gz";
  std::string checkpointSignal = "SIGTERM";  ///< SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP
  int graceSeconds = 90;           ///< time the program gets after the signal (clamped to the notice)
  int pollSeconds = 5;             ///< preemption-notice polling interval
  int heartbeatSeconds = 15;       ///< status.json + log tail upload interval
  int syncSeconds = 300;           ///< periodic checkpoint upload interval
  std::int64_t maxRuntimeSeconds = 0;  ///< dead-man's switch from agent start; 0 = none
  std::int64_t deadlineUnix = 0;       ///< absolute dead-man's switch (budget); 0 = none
  std::int64_t uploadBytesPerSecond = 0;  ///< checkpoint upload bandwidth cap; 0 = unlimited
  DriverMode driver = DriverMode::Auto;
  std::string driverSeries;        ///< e.g. "535"; empty = the distribution's recommendation
  bool expectGpu = true;           ///< fail the attempt when no GPU is visible
  bool powerOff = true;            ///< power the machine off at the end (never for Local, whatever this says)
  std::string metadataEndpoint;    ///< override of the metadata service address (tests); empty = default
};

/** Checks every field; InvalidArgument naming the first bad one ("AgentConfig: graceSeconds ..."). */
Result<void> validate(const AgentConfig& config);

/** The config.json the agent reads (validated first). Contains the SAS token when there is one. */
Result<std::string> toAgentJson(const AgentConfig& config);

/**
 * The agent's storage from the access a Provider issued for the job (never long-term keys):
 *   "local-path"      → local, path = values["path"] (already the job's prefix folder)
 *   "instance-role"   → s3 {bucket, jobPrefix, region, endpoint}
 *   "service-account" → gcs {bucket, jobPrefix, endpoint}
 *   "sas"             → azure-blob {containerUrl = values["containerUrl"] or `bucket`,
 *                        sasToken = values["sasToken"] or values["sas"], jobPrefix}
 * `jobPrefix` is "<storage prefix>/<job id>". InvalidArgument for an unknown kind or a missing value.
 */
Result<AgentStorage> storageFromAccess(const cloud::InstanceAccess& access, std::string_view bucket, std::string_view jobPrefix,
                                       std::string_view region = {}, std::string_view endpoint = {});

/** "auto", "verify", "install", "skip". */
std::string_view driverModeName(DriverMode mode);

}  // namespace spotwise::agent
