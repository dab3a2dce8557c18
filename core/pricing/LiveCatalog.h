#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/Result.h"
#include "core/pricing/Catalog.h"
#include "core/pricing/PriceHistory.h"
#include "core/pricing/PriceRefresh.h"
#include "core/pricing/Snapshot.h"

namespace spotwise::pricing {

/** The offers the app shows: the embedded snapshot overlaid with the last good data of every live source. */
struct LiveCatalog {
  std::vector<Offer> offers;
  std::vector<PriceSource> sources;  ///< snapshot sources, then live sources that have data
  std::vector<std::string> notes;
};

/** Stores a refresh: each Fresh source's data as its new last good data, each failure as a failure. */
Result<void> storeRefresh(PriceHistory& history, const std::vector<SourceOutcome>& outcomes);

/**
 * Merges the embedded snapshot with every live source's last good data from `history` (a source
 * whose latest refresh failed keeps its previous good data). Live sources win ties over the
 * snapshot; otherwise the newest price wins (pricing::buildCatalog).
 */
Result<LiveCatalog> assembleLiveCatalog(PriceHistory& history, const Snapshot& embedded);

}  // namespace spotwise::pricing
