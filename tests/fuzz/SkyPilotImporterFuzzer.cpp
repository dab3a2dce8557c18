// importSkyPilotCatalog on arbitrary bytes, read as an AWS, a GCP and an Azure catalog:
// never crashes, and every offer it yields is well formed (a GPU, a region, no negative price).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/pricing/SkyPilotImporter.h"

namespace {

using namespace spotwise::pricing;

void checkPrice(const std::optional<Price>& price) {
  if (price && (!(price->usdPerHour >= 0) || !std::isfinite(price->usdPerHour))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The sizes table corrects a few Azure sizes; include one so that branch is reached.
  const std::vector<AzureGpuSize> azureSizes{{"Standard_NC4as_T4_v3", "T4", 1, 16.0}};
  for (const auto provider : {CloudProvider::Aws, CloudProvider::Gcp, CloudProvider::Azure}) {
    const auto report = importSkyPilotCatalog(text, {provider, "fuzz", 1700000000}, azureSizes);
    if (!report) {
      if (report.error().message.empty()) std::abort();
      continue;
    }
    for (const auto& offer : report->offers) {
      if (offer.gpuCount <= 0 || offer.gpuModel.empty() || offer.region.empty() || offer.instanceType.empty()) {
        std::abort();
      }
      if (!offer.onDemand && !offer.spot) std::abort();  // a missing price stays missing, never both
      checkPrice(offer.onDemand);
      checkPrice(offer.spot);
    }
  }
  return 0;
}
