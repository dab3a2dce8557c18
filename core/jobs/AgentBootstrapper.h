#pragma once

#include <filesystem>

#include "core/jobs/Controller.h"

namespace spotwise::jobs {

/** Timings of the instance agent that are not part of the JobSpec. */
struct AgentBootstrapOptions {
  int heartbeatSeconds = 15;  ///< status.json and log tail upload interval
  int pollSeconds = 5;        ///< preemption-notice polling (AWS asks for every 5 s)
  std::filesystem::path scratchDir;  ///< where code bundles are packed; empty = the system temp folder
};

/**
 * The real JobBootstrapper: packs the code folder with core/agent (honouring .gitignore and
 * .spotwiseignore) and uploads it, and renders the agent's startup script for each attempt from
 * the JobSpec and the instance's scoped storage access (never the user's keys).
 */
class AgentBootstrapper final : public JobBootstrapper {
 public:
  explicit AgentBootstrapper(AgentBootstrapOptions options = {}) : m_options(std::move(options)) {}
  Result<void> package(const JobSpec& spec, std::string_view jobId, std::string_view jobPrefix,
                       cloud::ObjectStore& store, const cloud::CallOptions& options) override;
  Result<std::string> startupScript(const JobSpec& spec, std::string_view jobId, int attempt,
                                    std::string_view jobPrefix, const cloud::InstanceAccess& access,
                                    std::int64_t deadlineUnix) override;

 private:
  AgentBootstrapOptions m_options;
};

}  // namespace spotwise::jobs
