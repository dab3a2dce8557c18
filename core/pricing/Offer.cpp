#include "core/pricing/Offer.h"

#include <algorithm>
#include <cctype>

namespace spotwise::pricing {

std::string_view providerId(CloudProvider provider) {
  switch (provider) {
    case CloudProvider::Aws: return "aws";
    case CloudProvider::Gcp: return "gcp";
    case CloudProvider::Azure: return "azure";
  }
  return "aws";
}

std::string_view providerDisplayName(CloudProvider provider) {
  switch (provider) {
    case CloudProvider::Aws: return "AWS";
    case CloudProvider::Gcp: return "GCP";
    case CloudProvider::Azure: return "Azure";
  }
  return "AWS";
}

std::optional<CloudProvider> parseProvider(std::string_view text) {
  std::string lower(text);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "aws") return CloudProvider::Aws;
  if (lower == "gcp") return CloudProvider::Gcp;
  if (lower == "azure") return CloudProvider::Azure;
  return std::nullopt;
}

std::optional<double> Offer::savingsPercent() const {
  if (!onDemand || !spot || onDemand->usdPerHour <= 0.0) return std::nullopt;
  return (onDemand->usdPerHour - spot->usdPerHour) / onDemand->usdPerHour * 100.0;
}

bool Offer::spotAboveOnDemand() const {
  return onDemand && spot && spot->usdPerHour > onDemand->usdPerHour;
}

}  // namespace spotwise::pricing
