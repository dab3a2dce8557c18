// parseAwsOfferFile (the streaming JSON reader over the AWS bulk offer index.json) on arbitrary
// bytes: never crashes, bounded work, and what it accepts is a priced GPU machine.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "FuzzChecks.h"
#include "core/pricing/sources/aws/AwsOffer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  std::istringstream in{std::string(fuzz::asText(data, size))};
  const auto parsed = pricing::sources::parseAwsOfferFile(in);
  if (fuzz::acceptedOrExplained(parsed)) fuzz::checkParsedPrices(*parsed);
  return 0;
}
