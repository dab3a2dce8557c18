// parseAwsSpotAdvisor (spot-advisor-data.json) on arbitrary bytes: never crashes; the interruption
// bands it keeps are ordered percentages.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "FuzzChecks.h"
#include "core/pricing/sources/aws/AwsSpot.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto parsed = pricing::sources::parseAwsSpotAdvisor(fuzz::asText(data, size));
  if (!fuzz::acceptedOrExplained(parsed)) return 0;
  fuzz::checkParsedPrices(*parsed);
  return 0;
}
