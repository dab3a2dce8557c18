// parseJobSpec (a hand-written or saved job spec) on arbitrary bytes: never crashes; an accepted
// spec validates without crashing and serialises to a spec that parses back to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "FuzzChecks.h"
#include "core/jobs/JobSpec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto spec = jobs::parseJobSpec(fuzz::asText(data, size));
  if (!fuzz::acceptedOrExplained(spec)) return 0;
  for (const auto& error : jobs::validateJobSpec(*spec)) {
    if (error.field.empty() || error.message.empty()) std::abort();
  }
  const std::string saved = jobs::serializeJobSpec(*spec);
  const auto again = jobs::parseJobSpec(saved);
  if (!again) std::abort();
  if (jobs::serializeJobSpec(*again) != saved) std::abort();
  return 0;
}
