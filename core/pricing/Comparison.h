#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/pricing/Offer.h"

namespace spotwise::pricing {

/** The cheapest on-demand and spot price of one provider for a GPU configuration. */
struct ProviderCheapest {
  CloudProvider provider = CloudProvider::Aws;
  std::optional<double> onDemandUsd;  ///< cheapest on-demand $/h over the matching offers
  std::optional<double> spotUsd;      ///< cheapest spot $/h over the matching offers
  std::string onDemandWhere;          ///< "instanceType region" of the cheapest on-demand
  std::string spotWhere;
  /** (cheapest on-demand − cheapest spot) / cheapest on-demand × 100, when both exist. */
  [[nodiscard]] std::optional<double> savingsPercent() const;
};

/**
 * Per provider (AWS, GCP, Azure, in that order), the cheapest on-demand and spot price among offers
 * of `gpuModel` with exactly `gpuCount` GPUs (the comparison the charts draw). Providers without a
 * matching offer are listed with no prices. Pure function.
 */
std::vector<ProviderCheapest> cheapestByProvider(const std::vector<Offer>& offers, const std::string& gpuModel, int gpuCount);

/** The `limit` offers with the highest savings % (both prices present, spot ≤ on-demand), best first. */
std::vector<Offer> topSavings(const std::vector<Offer>& offers, std::size_t limit);
/** topSavings over offers held elsewhere (a filtered view), without copying them. */
std::vector<Offer> topSavings(std::span<const Offer* const> offers, std::size_t limit);

}  // namespace spotwise::pricing
