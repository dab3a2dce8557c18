#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pricing/Offer.h"

namespace spotwise::pricing::sources {

enum class PriceKind { OnDemand, Spot };

/** "on-demand" / "spot". */
std::string_view priceKindName(PriceKind kind);

/**
 * One normalised price as a source states it: a machine type in a region (and zone where the
 * source prices per zone), on-demand or spot, USD per hour for the whole machine (Linux).
 * Machine facts are filled only where the source itself states them (AWS offer file).
 */
struct PriceRecord {
  CloudProvider provider = CloudProvider::Aws;
  std::string region;
  std::string zone;           ///< empty when the price holds for the region
  std::string instanceType;
  PriceKind kind = PriceKind::OnDemand;
  double usdPerHour = 0.0;    ///< > 0 always: a missing or $0 price is never a record
  std::string sourceId;
  std::int64_t asOfUnix = 0;  ///< when the source priced it (publication, effective or fetch time)
  int gpuCount = 0;           ///< 0 = not stated by the source
  double vcpus = 0.0;
  double ramGiB = 0.0;
  std::string gpuModel;       ///< normalised; empty = not stated by the source
  double gpuMemoryGiB = 0.0;  ///< per GPU; 0 = not stated
};

/** An interruption band for a machine type in a region (AWS Spot Instance Advisor, Linux). */
struct InterruptionRecord {
  CloudProvider provider = CloudProvider::Aws;
  std::string region;
  std::string instanceType;
  InterruptionBand band;
  std::optional<int> savingsPercent;  ///< the advisor's own "s" (vs on-demand), for reference
};

/** What one raw response yields: records, what was left out and why, and the next page. */
struct ParsedPrices {
  std::vector<PriceRecord> records;
  std::vector<InterruptionRecord> interruptions;
  std::vector<std::string> notes;   ///< counts of rows left out, by reason (expected exclusions)
  /**
   * What the parser did not expect (an unknown enum value, a unit, a region name, a missing field on
   * some rows): those rows are left out and counted here, because the source's format may have
   * changed and the data may be incomplete. Shown in the source's status, never silent.
   */
  std::vector<std::string> warnings;
  std::size_t itemsRead = 0;        ///< products / items / SKUs / sizes the parser looked at
  std::string nextPage;             ///< NextPageLink / nextPageToken / nextToken; empty at the end
};

}  // namespace spotwise::pricing::sources
