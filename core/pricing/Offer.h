#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spotwise::pricing {

enum class CloudProvider { Aws, Gcp, Azure };

/** "aws", "gcp", "azure". */
std::string_view providerId(CloudProvider provider);
/** "AWS", "GCP", "Azure". */
std::string_view providerDisplayName(CloudProvider provider);
/** Parses "aws"/"gcp"/"azure" (any case); nullopt otherwise. */
std::optional<CloudProvider> parseProvider(std::string_view text);

/** One price with where it came from. Never constructed for a missing price: missing is nullopt. */
struct Price {
  double usdPerHour = 0.0;
  std::string sourceId;      ///< id of a PriceSource in the catalog/snapshot
  std::int64_t asOfUnix = 0; ///< when the source published or we fetched it (seconds, UTC)
};

/**
 * How often spot capacity of an offer is reclaimed, as a monthly interruption-frequency range
 * (AWS Spot Instance Advisor bands: "<5%", "5-10%", ..., ">20%"; Azure eviction-rate bands).
 */
struct InterruptionBand {
  int index = 0;               ///< provider's band index, 0 = least interrupted
  std::string label;           ///< as published, e.g. "5-10%"
  double minMonthlyPercent = 0.0;
  double maxMonthlyPercent = 0.0;
  std::string sourceId;
};

/**
 * One GPU machine offer: a machine type in a region (and zone where prices differ by zone),
 * with its on-demand and spot price per hour for the whole machine.
 * Plain value type.
 */
struct Offer {
  CloudProvider provider = CloudProvider::Aws;
  std::string region;
  std::string zone;          ///< empty when the price holds for the whole region
  std::string instanceType;
  std::string gpuModel;      ///< normalised across clouds: T4, L4, A10G, A100-80GB, H100, ...
  int gpuCount = 0;
  double gpuMemoryGiB = 0.0; ///< per GPU; 0 when unknown
  double vcpus = 0.0;
  double ramGiB = 0.0;
  std::optional<Price> onDemand;
  std::optional<Price> spot;
  std::optional<InterruptionBand> interruption;  ///< where the provider publishes one

  /** (on-demand − spot) / on-demand × 100, when both prices exist and on-demand > 0. */
  [[nodiscard]] std::optional<double> savingsPercent() const;
  /** True when both prices exist and spot costs more than on-demand (kept, but flagged). */
  [[nodiscard]] bool spotAboveOnDemand() const;
};

}  // namespace spotwise::pricing
