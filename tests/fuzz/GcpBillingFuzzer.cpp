// parseGcpSkuPage / parseGcpBilling (one page of Cloud Billing Catalog SKUs) on arbitrary bytes:
// never crashes; component prices are finite and not negative, composed machine prices > 0.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "FuzzChecks.h"
#include "core/pricing/sources/gcp/GcpBilling.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto text = fuzz::asText(data, size);
  if (const auto page = pricing::sources::parseGcpSkuPage(text); fuzz::acceptedOrExplained(page)) {
    for (const auto& component : page->components) {
      if (!(component.usdPerUnit >= 0.0) || !std::isfinite(component.usdPerUnit)) std::abort();
    }
  }
  const auto parsed = pricing::sources::parseGcpBilling(text);
  if (fuzz::acceptedOrExplained(parsed)) fuzz::checkParsedPrices(*parsed);
  return 0;
}
