#include "core/pricing/Comparison.h"

#include <algorithm>

namespace spotwise::pricing {

std::optional<double> ProviderCheapest::savingsPercent() const {
  if (!onDemandUsd || !spotUsd || *onDemandUsd <= 0) return std::nullopt;
  return (*onDemandUsd - *spotUsd) / *onDemandUsd * 100.0;
}

std::vector<ProviderCheapest> cheapestByProvider(const std::vector<Offer>& offers, const std::string& gpuModel, int gpuCount) {
  std::vector<ProviderCheapest> out;
  for (const auto provider : {CloudProvider::Aws, CloudProvider::Gcp, CloudProvider::Azure}) {
    ProviderCheapest c;
    c.provider = provider;
    for (const auto& o : offers) {
      if (o.provider != provider || o.gpuModel != gpuModel || o.gpuCount != gpuCount) continue;
      const std::string where = o.instanceType + " " + o.region + (o.zone.empty() ? "" : " (" + o.zone + ")");
      if (o.onDemand && (!c.onDemandUsd || o.onDemand->usdPerHour < *c.onDemandUsd)) {
        c.onDemandUsd = o.onDemand->usdPerHour;
        c.onDemandWhere = where;
      }
      if (o.spot && (!c.spotUsd || o.spot->usdPerHour < *c.spotUsd)) {
        c.spotUsd = o.spot->usdPerHour;
        c.spotWhere = where;
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Offer> topSavings(const std::vector<Offer>& offers, std::size_t limit) {
  std::vector<Offer> ranked;
  for (const auto& o : offers) {
    if (o.savingsPercent() && !o.spotAboveOnDemand()) ranked.push_back(o);
  }
  std::ranges::stable_sort(ranked, [](const Offer& a, const Offer& b) { return *a.savingsPercent() > *b.savingsPercent(); });
  if (ranked.size() > limit) ranked.resize(limit);
  return ranked;
}

}  // namespace spotwise::pricing
