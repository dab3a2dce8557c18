#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/pricing/Offer.h"

namespace spotwise::pricing {

/** What a user asks of the catalog. Empty/unset fields match everything. */
struct OfferQuery {
  std::string gpuModel;                 ///< matched after normalisation, case-insensitively
  std::optional<CloudProvider> provider;
  std::string region;                   ///< exact region code
  int minGpuCount = 0;                  ///< at least this many GPUs
  std::optional<int> exactGpuCount;     ///< exactly this many GPUs
  bool spotOnly = false;                ///< only offers with a spot price

  [[nodiscard]] bool matches(const Offer& offer) const;
};

/** The offers matching `query`, cheapest spot first (then on-demand), in a stable order. */
std::vector<Offer> selectOffers(const std::vector<Offer>& offers, const OfferQuery& query);

}  // namespace spotwise::pricing
