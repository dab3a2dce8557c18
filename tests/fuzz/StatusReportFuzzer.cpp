// parseStatusReport (the agent's status.json, read back from the job's bucket) on arbitrary bytes:
// never crashes; an accepted report has a state.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "FuzzChecks.h"
#include "core/jobs/StatusReport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto report = jobs::parseStatusReport(fuzz::asText(data, size));
  if (fuzz::acceptedOrExplained(report) && report->state.empty()) std::abort();
  return 0;
}
