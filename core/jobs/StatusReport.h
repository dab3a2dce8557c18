#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/Result.h"

namespace spotwise::jobs {

/**
 * The agent's heartbeat, `<prefix>/<job>/status.json` (DESIGN.md bucket layout).
 * state: "booting", "setup", "restoring", "running", "preempting", "preempted" (final checkpoint
 * uploaded after a notice), "succeeded", "failed". Unknown fields are ignored; missing numbers are -1.
 */
struct StatusReport {
  std::string state;
  int attempt = 0;
  std::int64_t step = -1;
  std::int64_t total = -1;
  std::optional<double> loss;
  std::int64_t checkpointStep = -1;   ///< step of the last checkpoint uploaded (LATEST)
  std::int64_t resumedFromStep = -1;  ///< step restored at start (0 = fresh)
  std::optional<int> exitCode;
  std::string message;
  std::string gpuModel;
  int gpuCount = 0;
  std::optional<double> gpuUtilization;
  std::int64_t updatedAtMs = 0;       ///< from updated_at (ISO 8601 or Unix seconds)
};

/** Parses status.json; InvalidArgument naming what was wrong. */
Result<StatusReport> parseStatusReport(std::string_view text);

}  // namespace spotwise::jobs
