#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/pricing/sources/MachineCatalog.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::pricing::sources {

/** What a Compute Engine SKU prices: a core or GiB of RAM of a machine family, or one GPU. */
struct GcpComponentPrice {
  enum class Part { Core, Ram, Gpu } part = Part::Core;
  std::string family;   ///< "A2", "N1", "G2", "A3" (Core/Ram)
  std::string gpuSku;   ///< "Tesla A100", "A100 80GB", "L4", "H100 80GB Mega" (Gpu)
  PriceKind kind = PriceKind::OnDemand;  ///< usageType OnDemand, or Preemptible (= Spot)
  std::vector<std::string> regions;      ///< serviceRegions
  double usdPerUnit = 0.0;               ///< per core-hour, GiB-hour or GPU-hour
  std::string skuId;
  std::int64_t effectiveUnix = 0;
};

struct GcpSkuPage {
  std::vector<GcpComponentPrice> components;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;  ///< unexpected SKUs (unknown usageType, unit): see ParsedPrices::warnings
  std::size_t itemsRead = 0;
  std::string nextPageToken;  ///< "" on the last page
};

/**
 * Parses one page of Cloud Billing Catalog `services/6F81-5844-456A/skus`. Keeps machine
 * component SKUs: "<F> Instance Core|Ram running in …", "N1 Predefined Instance Core|Ram …",
 * "Nvidia <GPU> GPU running in|attached to …", with the "Spot Preemptible " / "Preemptible "
 * prefixes of spot SKUs; usageType OnDemand → on-demand, Preemptible → spot; commitments,
 * custom/sole-tenant and other SKUs are dropped. Price = units + nanos/1e9 of the tier starting
 * at 0 of the latest pricingInfo (a zero-price free first tier falls through to the next tier).
 * Errors ("GcpBilling: ..."): malformed JSON, no skus, a non-USD price, a bad unit for a part.
 */
Result<GcpSkuPage> parseGcpSkuPage(std::string_view body);

/**
 * Composes machine prices per region: vCPUs × core + GiB × RAM (+ GPU count × GPU) for every
 * machine in `machines` whose family/GPU SKUs all have a price in that region and kind. A machine
 * with any component missing gets no price (never a partial one).
 */
std::vector<PriceRecord> composeGcpMachinePrices(const std::vector<GcpComponentPrice>& components,
                                                 const std::vector<MachineSpec>& machines, std::string_view sourceId,
                                                 std::int64_t asOfUnix);

/** Parse + compose for one page, with the built-in machine table (`prices import gcp-billing`). */
Result<ParsedPrices> parseGcpBilling(std::string_view json, std::string_view sourceId = "gcp-billing", std::int64_t asOfUnix = 0);

}  // namespace spotwise::pricing::sources
