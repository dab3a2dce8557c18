#include "core/pricing/OfferQuery.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/pricing/GpuModels.h"

namespace spotwise::pricing {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::ranges::equal(a, b, [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// Offers with a spot price first, cheapest first; then the rest by on-demand price.
std::pair<int, double> sortKey(const Offer& o) {
  if (o.spot) return {0, o.spot->usdPerHour};
  if (o.onDemand) return {1, o.onDemand->usdPerHour};
  return {2, std::numeric_limits<double>::infinity()};
}

}  // namespace

bool OfferQuery::matches(const Offer& offer) const {
  if (!gpuModel.empty()) {
    std::string upper = gpuModel;
    std::ranges::transform(upper, upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!equalsIgnoreCase(offer.gpuModel, normaliseGpuModel(upper)) && !equalsIgnoreCase(offer.gpuModel, gpuModel)) {
      return false;
    }
  }
  if (provider && offer.provider != *provider) return false;
  if (!region.empty() && offer.region != region) return false;
  if (offer.gpuCount < minGpuCount) return false;
  if (exactGpuCount && offer.gpuCount != *exactGpuCount) return false;
  if (spotOnly && !offer.spot) return false;
  return true;
}

std::vector<Offer> selectOffers(const std::vector<Offer>& offers, const OfferQuery& query) {
  std::vector<Offer> out;
  std::ranges::copy_if(offers, std::back_inserter(out), [&](const Offer& o) { return query.matches(o); });
  std::ranges::stable_sort(out, [](const Offer& a, const Offer& b) { return sortKey(a) < sortKey(b); });
  return out;
}

}  // namespace spotwise::pricing
