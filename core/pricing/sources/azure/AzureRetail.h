#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::pricing::sources {

/**
 * One Azure Retail Prices row that passed the Linux VM rules, before the effective-date choice.
 * (Rows from several pages are collected, then `selectAzurePrices` picks one per size/region/kind.)
 */
struct AzureRetailRow {
  std::string armSkuName;
  std::string armRegionName;
  PriceKind kind = PriceKind::OnDemand;
  double usdPerHour = 0.0;
  std::int64_t effectiveStartUnix = 0;
};

struct AzureRetailPage {
  std::vector<AzureRetailRow> rows;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;  ///< unexpected rows (unknown type, unit, missing names): see ParsedPrices::warnings
  std::size_t itemsRead = 0;
  std::string nextPageLink;  ///< "" when NextPageLink is null, "" or missing
};

/**
 * Parses one page of `https://prices.azure.com/api/retail/prices` (the envelope with Items,
 * NextPageLink, Count). Keeps Linux VM rows: serviceName "Virtual Machines", type Consumption
 * (DevTestConsumption and Reservation dropped), productName starting "Virtual Machines" (legacy
 * "… Cloud Services" dropped) and not ending " Windows"; skuName ending " Spot" is the spot price,
 * " Low Priority" (the legacy Batch meter, cheaper than Spot) is dropped, anything else is
 * on-demand. Prices per "N Hour(s)" are divided by N; other units are dropped.
 * Errors ("AzureRetail: ..."): malformed/truncated JSON, no Items, a non-USD page or row
 * (BillingCurrency / currencyCode), a row missing its price, size or region.
 */
Result<AzureRetailPage> parseAzureRetailPage(std::string_view body);

/**
 * One price per (size, region, kind): the row with the latest effectiveStartDate that is ≤ now
 * (future epochs ignored). Records carry `sourceId` and `asOfUnix`.
 */
std::vector<PriceRecord> selectAzurePrices(const std::vector<AzureRetailRow>& rows, std::int64_t nowUnix,
                                           std::string_view sourceId, std::int64_t asOfUnix);

/** Parse + select for one self-contained page (what `prices import azure-retail` runs). */
Result<ParsedPrices> parseAzureRetail(std::string_view json, std::int64_t nowUnix, std::string_view sourceId = "azure-retail");

}  // namespace spotwise::pricing::sources
