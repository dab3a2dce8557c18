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
      const auto where = [&o] { return o.instanceType + " " + o.region + (o.zone.empty() ? "" : " (" + o.zone + ")"); };
      if (o.onDemand && (!c.onDemandUsd || o.onDemand->usdPerHour < *c.onDemandUsd)) {
        c.onDemandUsd = o.onDemand->usdPerHour;
        c.onDemandWhere = where();
      }
      if (o.spot && (!c.spotUsd || o.spot->usdPerHour < *c.spotUsd)) {
        c.spotUsd = o.spot->usdPerHour;
        c.spotWhere = where();
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Offer> topSavings(std::span<const Offer* const> offers, std::size_t limit) {
  // (savings, position) keys: the best `limit` are picked without copying or moving any offer, and
  // ties keep the input order (as a stable sort would).
  std::vector<std::pair<double, std::size_t>> ranked;
  for (std::size_t i = 0; i < offers.size(); ++i) {
    const auto savings = offers[i]->savingsPercent();
    if (savings && !offers[i]->spotAboveOnDemand()) ranked.emplace_back(*savings, i);
  }
  const auto better = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  const auto top = std::min(limit, ranked.size());
  std::ranges::partial_sort(ranked, ranked.begin() + static_cast<std::ptrdiff_t>(top), better);
  std::vector<Offer> out;
  out.reserve(top);
  for (std::size_t i = 0; i < top; ++i) out.push_back(*offers[ranked[i].second]);
  return out;
}

std::vector<Offer> topSavings(const std::vector<Offer>& offers, std::size_t limit) {
  std::vector<const Offer*> pointers;
  pointers.reserve(offers.size());
  for (const auto& o : offers) pointers.push_back(&o);
  return topSavings(pointers, limit);
}

}  // namespace spotwise::pricing
