#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/pricing/Offer.h"

namespace spotwise::pricing {

/** GPU facts for one Azure VM size, where the catalog's own are missing or wrong. */
struct AzureGpuSize {
  std::string instanceType;
  std::string gpuModel;  ///< normalised
  int gpuCount = 0;
  double gpuMemoryGiB = 0.0;
};

/** Parses `resources/pricing/azure-gpu-sizes.csv` (InstanceType,GpuModel,GpuCount,GpuMemoryGiB,Source). */
Result<std::vector<AzureGpuSize>> parseAzureGpuSizes(std::string_view csvText);

/** Where a SkyPilot catalog file came from; copied into every price it yields. */
struct SkyPilotSource {
  CloudProvider provider = CloudProvider::Aws;
  std::string sourceId;
  std::int64_t asOfUnix = 0;
};

/** What an import produced, and what it left out and why (for the snapshot's notes). */
struct ImportReport {
  std::vector<Offer> offers;
  std::size_t rowsRead = 0;
  std::vector<std::string> notes;
};

/**
 * Imports a SkyPilot hosted-catalog `vms.csv` (AWS v8, GCP v8, Azure v6 column layouts, read by
 * header name) into GPU offers.
 *
 * - CPU-only rows and non-GPU accelerators (TPUs) are left out.
 * - GCP: a GPU machine type's host row (CPU + RAM price) is added to the accelerator row of the
 *   same GPU model, count and zone. Host rows without a matching accelerator row are left out
 *   (never shown at the host-only price) and counted in the notes.
 * - Azure: sizes in `azureSizes` override the catalog's GPU model/count; `_Promo` sizes (retired)
 *   are left out.
 * - Zones whose prices are identical collapse into one region-wide offer; where prices differ by
 *   zone, one offer per distinct price with its zones listed.
 * - A missing price stays missing (never $0).
 *
 * Errors: InvalidArgument naming the line and column for malformed CSV, a missing column, or a
 * non-numeric number. Pure function.
 */
Result<ImportReport> importSkyPilotCatalog(std::string_view csvText, const SkyPilotSource& source,
                                           const std::vector<AzureGpuSize>& azureSizes = {});

}  // namespace spotwise::pricing
