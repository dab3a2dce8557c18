#pragma once

// A price refresh for lab tests: the public sources point at a closed port (they fail at once) except,
// when given, the AWS offer files at a loopback server, so what the test checks comes from the signed
// sources and the peers it starts.

#include <string>
#include <utility>
#include <vector>

#include "core/pricing/PriceRefresh.h"

namespace spotwise::test {

/**
 * A refresh of `awsRegions` asking the signed spot history for `spotTypes`, caching under `cacheDir`;
 * `offerBase` (a loopback server's base URL, empty for none) serves `/aws/region_index.json` and the offer
 * files. One attempt per request.
 */
inline pricing::RefreshConfig labRefreshConfig(const std::string& offerBase, std::vector<std::string> awsRegions,
                                               std::vector<std::string> spotTypes, std::string cacheDir) {
  pricing::RefreshConfig config;
  const std::string dead = "http://127.0.0.1:9/";
  config.endpoints.awsRegionIndexUrl = offerBase.empty() ? dead + "region_index.json" : offerBase + "/aws/region_index.json";
  if (!offerBase.empty()) config.endpoints.awsOfferBase = offerBase;
  config.endpoints.awsSpotFeedUrl = dead + "spot.js";
  config.endpoints.awsAdvisorUrl = dead + "advisor.json";
  config.endpoints.azureRetailUrl = dead + "azure";
  config.awsRegions = std::move(awsRegions);
  config.awsSpotHistoryTypes = std::move(spotTypes);
  config.cacheDir = std::move(cacheDir);
  config.settings.retry.maxAttempts = 1;
  return config;
}

}  // namespace spotwise::test
