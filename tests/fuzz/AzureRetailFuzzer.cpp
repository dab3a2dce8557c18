// parseAzureRetailPage / parseAzureRetail (one page of the Azure Retail Prices API) on arbitrary
// bytes: never crashes; rows it keeps have a size, a region and a positive finite price.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "FuzzChecks.h"
#include "core/pricing/sources/azure/AzureRetail.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto text = fuzz::asText(data, size);
  if (const auto page = pricing::sources::parseAzureRetailPage(text); fuzz::acceptedOrExplained(page)) {
    for (const auto& row : page->rows) {
      if (row.armSkuName.empty() || row.armRegionName.empty()) std::abort();
      if (!(row.usdPerHour > 0.0) || !std::isfinite(row.usdPerHour)) std::abort();
    }
  }
  const auto parsed = pricing::sources::parseAzureRetail(text, 1'790'000'000);
  if (fuzz::acceptedOrExplained(parsed)) fuzz::checkParsedPrices(*parsed);
  return 0;
}
