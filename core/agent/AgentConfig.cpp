#include "core/agent/AgentConfig.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

namespace spotwise::agent {
namespace {

Error invalid(const std::string& what) { return makeError(ErrorCode::InvalidArgument, "AgentConfig: " + what); }

bool isSafeId(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == '.' || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool isEnvName(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

}  // namespace

std::string_view driverModeName(DriverMode mode) {
  switch (mode) {
    case DriverMode::Auto: return "auto";
    case DriverMode::Verify: return "verify";
    case DriverMode::Install: return "install";
    case DriverMode::Skip: return "skip";
  }
  return "auto";
}

Result<void> validate(const AgentConfig& c) {
  static constexpr std::array kProviders{"aws", "gcp", "azure", "local"};
  if (std::find(kProviders.begin(), kProviders.end(), c.provider) == kProviders.end())
    return invalid("provider '" + c.provider + "' is not one of aws, gcp, azure, local");
  if (!isSafeId(c.jobId)) return invalid("jobId '" + c.jobId + "' must be 1-64 of [A-Za-z0-9._-]");
  if (c.attempt < 1) return invalid("attempt must be >= 1");
  if (c.command.find_first_not_of(" \t\r\n") == std::string::npos) return invalid("command is empty");
  if (c.command.find('\0') != std::string::npos) return invalid("command contains a NUL byte");
  for (const auto& [name, value] : c.environment) {
    if (!isEnvName(name)) return invalid("environment variable name '" + name + "' is not valid");
    if (name.starts_with("SPOTWISE_")) return invalid("environment variable " + name + " is reserved for the agent");
    if (value.find('\0') != std::string::npos) return invalid("environment variable " + name + " contains a NUL byte");
  }
  static constexpr std::array kSignals{"SIGTERM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGHUP"};
  if (std::find(kSignals.begin(), kSignals.end(), c.checkpointSignal) == kSignals.end())
    return invalid("checkpointSignal '" + c.checkpointSignal + "' is not one of SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP");
  if (c.graceSeconds < 0 || c.graceSeconds > 3600) return invalid("graceSeconds must be within 0..3600");
  if (c.pollSeconds < 1 || c.pollSeconds > 60) return invalid("pollSeconds must be within 1..60");
  if (c.heartbeatSeconds < 1) return invalid("heartbeatSeconds must be >= 1");
  if (c.syncSeconds < 1) return invalid("syncSeconds must be >= 1");
  if (c.maxRuntimeSeconds < 0 || c.deadlineUnix < 0 || c.uploadBytesPerSecond < 0)
    return invalid("maxRuntimeSeconds, deadlineUnix and uploadBytesPerSecond must not be negative");
  if (c.codeKey.empty() || c.codeKey.front() == '/' || c.codeKey.find("..") != std::string::npos)
    return invalid("codeKey '" + c.codeKey + "' must be a relative key");
  if (!c.driverSeries.empty() && !std::all_of(c.driverSeries.begin(), c.driverSeries.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; }))
    return invalid("driverSeries '" + c.driverSeries + "' must be digits such as 535");

  const AgentStorage& s = c.storage;
  if (s.kind == "local") {
    if (s.path.empty() || s.path.front() != '/') return invalid("storage.path must be an absolute folder for kind local");
  } else if (s.kind == "s3" || s.kind == "gcs") {
    if (s.bucket.empty()) return invalid("storage.bucket is required for kind " + s.kind);
  } else if (s.kind == "azure-blob") {
    if (!s.containerUrl.starts_with("https://") && !s.containerUrl.starts_with("http://"))
      return invalid("storage.containerUrl must be an http(s) URL for kind azure-blob");
    if (s.sasToken.empty()) return invalid("storage.sasToken is required for kind azure-blob");
  } else {
    return invalid("storage.kind '" + s.kind + "' is not one of local, s3, gcs, azure-blob");
  }
  if (c.provider == "local" && s.kind != "local") return invalid("the local provider needs storage.kind local");
  return {};
}

Result<AgentStorage> storageFromAccess(const cloud::InstanceAccess& access, std::string_view bucket, std::string_view jobPrefix,
                                       std::string_view region, std::string_view endpoint) {
  auto value = [&](const char* key) -> std::string {
    auto it = access.values.find(key);
    return it == access.values.end() ? std::string() : it->second;
  };
  AgentStorage s;
  s.prefix = std::string(jobPrefix);
  s.region = std::string(region);
  s.endpoint = std::string(endpoint);
  if (access.kind == "local-path") {
    s.kind = "local";
    s.path = value("path");
    s.prefix.clear();
    if (s.path.empty()) return invalid("local-path access without a path");
  } else if (access.kind == "instance-role" || access.kind == "service-account") {
    s.kind = access.kind == "instance-role" ? "s3" : "gcs";
    s.bucket = std::string(bucket);
    if (s.bucket.empty()) return invalid(access.kind + " access needs the bucket name");
  } else if (access.kind == "sas") {
    s.kind = "azure-blob";
    s.containerUrl = value("containerUrl").empty() ? std::string(bucket) : value("containerUrl");
    s.sasToken = value("sasToken").empty() ? value("sas") : value("sasToken");
    if (s.containerUrl.empty() || s.sasToken.empty()) return invalid("sas access needs a container URL and a SAS token");
  } else {
    return invalid("instance access kind '" + access.kind + "' is not one of local-path, instance-role, service-account, sas");
  }
  return s;
}

Result<std::string> toAgentJson(const AgentConfig& c) {
  if (auto ok = validate(c); !ok) return ok.error();
  nlohmann::ordered_json storage = {{"kind", c.storage.kind}};
  if (c.storage.kind == "local") storage["path"] = c.storage.path;
  if (c.storage.kind == "s3" || c.storage.kind == "gcs") {
    storage["bucket"] = c.storage.bucket;
    storage["prefix"] = c.storage.prefix;
    if (!c.storage.region.empty()) storage["region"] = c.storage.region;
    if (!c.storage.endpoint.empty()) storage["endpoint"] = c.storage.endpoint;
  }
  if (c.storage.kind == "azure-blob") {
    storage["containerUrl"] = c.storage.containerUrl;
    storage["prefix"] = c.storage.prefix;
    storage["sas"] = c.storage.sasToken;
  }
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  for (const auto& [k, v] : c.environment) env[k] = v;
  nlohmann::ordered_json driver = {{"mode", driverModeName(c.driver)}};
  if (!c.driverSeries.empty()) driver["series"] = c.driverSeries;
  nlohmann::ordered_json j = {
      {"provider", c.provider},
      {"jobId", c.jobId},
      {"attempt", c.attempt},
      {"command", c.command},
      {"environment", env},
      {"storage", storage},
      {"codeKey", c.codeKey},
      {"checkpointSignal", c.checkpointSignal},
      {"graceSeconds", c.graceSeconds},
      {"pollSeconds", c.pollSeconds},
      {"heartbeatSeconds", c.heartbeatSeconds},
      {"syncSeconds", c.syncSeconds},
      {"maxRuntimeSeconds", c.maxRuntimeSeconds},
      {"deadlineUnix", c.deadlineUnix},
      {"uploadBytesPerSecond", c.uploadBytesPerSecond},
      {"driver", driver},
      {"expectGpu", c.expectGpu},
      {"powerOff", c.powerOff},
  };
  if (!c.metadataEndpoint.empty()) j["metadataEndpoint"] = c.metadataEndpoint;
  // One line: the bootstrap embeds it in a quoted here-document, which a single JSON line
  // can never terminate early.
  return j.dump(-1, ' ', true);
}

}  // namespace spotwise::agent
