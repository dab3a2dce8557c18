#pragma once

#include <string>
#include <vector>

#include "core/pricing/Offer.h"
#include "core/pricing/sources/MachineCatalog.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::pricing {

/** Offers built from price records of several sources, and what was left out or flagged, and why. */
struct CatalogResult {
  std::vector<Offer> offers;
  std::vector<std::string> notes;
};

/**
 * Merges normalised price records of any number of sources into GPU offers.
 *
 * - GPU facts (model, count, memory, vCPUs, RAM) come from the record where the source states
 *   them, else from `machines`; records of machine types with no known GPU are left out (noted).
 * - An offer is keyed by (provider, region, zone, instance type, GPU model, GPU count).
 * - Duplicates (same key and kind) collapse: the newest `asOfUnix` wins; on a tie the source that
 *   comes first in `sourcePriority` (sources not listed come after, in name order); then the first
 *   record given.
 * - Zone-level records (AWS DescribeSpotPriceHistory, SkyPilot per-zone prices) make one offer per
 *   zone; a region-level price of the same machine fills a zone offer's missing kind or replaces
 *   an older zone price (newest wins; a tie keeps the zone's own), and the region-level offer is
 *   then not listed separately.
 * - A price missing from every source stays missing (never $0); records with a price ≤ 0 are left
 *   out and counted. Offers whose spot price exceeds on-demand are kept (Offer::spotAboveOnDemand)
 *   and counted in the notes.
 * - AWS interruption bands attach by (region, instance type) to every offer of that machine.
 *
 * Offers come out sorted by provider, GPU model, count, instance type, region, zone. Pure function.
 */
CatalogResult buildCatalog(const std::vector<sources::PriceRecord>& records,
                           const std::vector<sources::InterruptionRecord>& interruptions,
                           const std::vector<sources::MachineSpec>& machines,
                           const std::vector<std::string>& sourcePriority = {});

/** The records an offer list stands for (both prices of every offer), for re-merging with new data. */
std::vector<sources::PriceRecord> recordsFromOffers(const std::vector<Offer>& offers);

}  // namespace spotwise::pricing
