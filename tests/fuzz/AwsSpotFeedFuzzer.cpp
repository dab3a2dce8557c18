// parseAwsSpotFeed (the spot.js JSONP feed) on arbitrary bytes: never crashes; prices it keeps are > 0.
#include <cstddef>
#include <cstdint>

#include "FuzzChecks.h"
#include "core/pricing/sources/aws/AwsSpot.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto parsed = pricing::sources::parseAwsSpotFeed(fuzz::asText(data, size));
  if (fuzz::acceptedOrExplained(parsed)) fuzz::checkParsedPrices(*parsed);
  return 0;
}
