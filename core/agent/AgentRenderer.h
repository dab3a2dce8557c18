#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/agent/AgentConfig.h"
#include "core/common/Result.h"

namespace spotwise::agent {

/** The rendered bootstrap for one attempt, ready for LaunchSpec::startupScript. */
struct RenderedAgent {
  /// POSIX sh, plain text for GCP, Azure and Local. For AWS it is the gzip of that script (binary):
  /// cloud-init decompresses gzip user-data; the provider base64-encodes these bytes as UserData.
  std::string script;
  bool gzipped = false;
  std::size_t limitBytes = 0;  ///< the provider's limit this script was checked against
  std::string_view target;  ///< "user-data", "startup-script", "customData" or "local script"
};

/**
 * The provider's limit on the plain startup script, in bytes:
 * AWS user-data 16384 (before base64), GCP metadata value 262144, Azure customData 65535
 * (the decoded binary array), Local 1 MiB. 0 for an unknown provider.
 */
std::size_t startupScriptLimit(std::string_view provider);

/**
 * Renders resources/agent/bootstrap.sh with the config and the agent's source for
 * config.provider (gzip-compressed as a whole for AWS). Errors: InvalidArgument for a bad config; ResourceExhausted when the
 * script exceeds the provider's limit (the message gives both sizes). Thread-safe.
 */
Result<RenderedAgent> renderStartupScript(const AgentConfig& config);

/** The agent's python source as embedded in the binaries (resources/agent/spotwise_agent.py). */
std::string_view agentPythonSource();

/** gzip (RFC 1952) of `bytes`, via libarchive; no timestamp, so the output is reproducible. */
Result<std::string> gzipBytes(std::string_view bytes);

/** Standard base64 with padding. */
std::string base64Encode(std::string_view bytes);

}  // namespace spotwise::agent
