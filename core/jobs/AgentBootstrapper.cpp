#include "core/jobs/AgentBootstrapper.h"

#include <system_error>

#include "core/agent/AgentConfig.h"
#include "core/agent/AgentRenderer.h"
#include "core/agent/CodeBundle.h"

namespace spotwise::jobs {

Result<void> AgentBootstrapper::package(const JobSpec& spec, std::string_view jobId, std::string_view jobPrefix,
                                        cloud::ObjectStore& store, const cloud::CallOptions& options) {
  std::error_code ec;
  const auto scratch = m_options.scratchDir.empty() ? std::filesystem::temp_directory_path(ec) : m_options.scratchDir;
  if (ec) return makeError(ErrorCode::Internal, "Package: no temporary folder: " + ec.message());
  std::filesystem::create_directories(scratch, ec);
  const auto archive = scratch / ("spotwise-" + std::string(jobId) + "-code.tar.gz");
  auto bundle = agent::packCodeFolder(spec.codeDir, archive);
  if (!bundle) return bundle.error();
  auto uploaded = store.putFile(std::string(jobPrefix) + "/code.tar.gz", archive, options);
  std::filesystem::remove(archive, ec);
  return uploaded;
}

Result<std::string> AgentBootstrapper::startupScript(const JobSpec& spec, std::string_view jobId, int attempt,
                                                     std::string_view jobPrefix, const cloud::InstanceAccess& access,
                                                     std::int64_t deadlineUnix) {
  agent::AgentConfig config;
  config.provider = spec.offer.provider;
  config.jobId = std::string(jobId);
  config.attempt = attempt;
  config.command = spec.command;
  config.environment = spec.environment;
  config.checkpointSignal = spec.checkpointSignal;
  config.graceSeconds = spec.graceSeconds;
  config.pollSeconds = m_options.pollSeconds;
  config.heartbeatSeconds = m_options.heartbeatSeconds;
  config.syncSeconds = spec.checkpointSyncSeconds;
  config.maxRuntimeSeconds = spec.maxRuntimeSeconds;
  config.deadlineUnix = deadlineUnix;

  auto values = [&](const char* key) {
    const auto it = access.values.find(key);
    return it == access.values.end() ? std::string() : it->second;
  };
  const auto location = parseStorageLocation(spec.storage);
  if (!location) return location.error();
  if (spec.offer.provider == "local") {
    config.storage.kind = "local";
    config.storage.path = values("path");
    config.driver = agent::DriverMode::Skip;
    config.expectGpu = false;
    config.powerOff = false;  // the Local "machine" ends when its agent exits
  } else if (location->scheme == "s3" || location->scheme == "gs") {
    config.storage.kind = location->scheme == "s3" ? "s3" : "gcs";
    config.storage.bucket = location->bucket;
    config.storage.prefix = std::string(jobPrefix);
    // The bucket's region and endpoint as the provider knows them (an endpoint override: the lab).
    config.storage.region = values("region").empty() ? spec.offer.region : values("region");
    config.storage.endpoint = values("endpoint");
  } else if (location->scheme == "az") {
    config.storage.kind = "azure-blob";
    config.storage.prefix = std::string(jobPrefix);
    // The provider issues "<container URL>?<SAS>"; the agent takes the two apart.
    const std::string sasUrl = values("sasUrl");
    const auto query = sasUrl.find('?');
    config.storage.containerUrl = values("containerUrl").empty() ? sasUrl.substr(0, query) : values("containerUrl");
    config.storage.sasToken = values("sasToken").empty() && query != std::string::npos ? sasUrl.substr(query + 1)
                                                                                        : values("sasToken");
  }
  auto rendered = agent::renderStartupScript(config);
  if (!rendered) return rendered.error();
  return rendered->script;
}

}  // namespace spotwise::jobs
