#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/http/HttpClient.h"
#include "core/pricing/sources/Fetchers.h"

namespace spotwise::pricing {

/** What a live refresh fetches, from where, and with which limits. */
struct RefreshConfig {
  sources::SourceEndpoints endpoints;
  std::vector<std::string> awsRegions = sources::defaultAwsOfferRegions();
  std::filesystem::path cacheDir;   ///< AWS offer files and their ETags
  std::string gcpApiKey;            ///< empty: the GCP source is skipped (needs a key)
  /** AWS credentials: with them, spot prices per zone come from DescribeSpotPriceHistory too; without, that source is skipped. */
  std::optional<sources::AwsApiAccess> aws;
  std::vector<std::string> awsSpotHistoryTypes;  ///< empty: sources::awsGpuInstanceTypes() (resolved at refresh, not at start)
  std::string azureFilter = sources::azureGpuFilter();
  sources::FetchSettings settings;  ///< timeouts, retries, max pages (onProgress/stop are set per source)
};

/** The live sources, in the order they are shown. */
const std::vector<std::string>& liveSourceIds();  // aws-offer, aws-spot-history, aws-spot-feed, aws-spot-advisor, azure-retail, gcp-billing

/** How one source's refresh ended. */
struct SourceOutcome {
  enum class State { Fresh, Failed, Skipped, Cancelled } state = State::Failed;
  std::string sourceId;
  std::int64_t startedUnix = 0;
  std::int64_t finishedUnix = 0;
  Error error;                      ///< when Failed/Skipped/Cancelled: why
  sources::FetchResult result;      ///< when Fresh
};

std::string_view outcomeStateName(SourceOutcome::State state);

/** The name errors of a source start with ("AwsOffer", "GcpBilling", ...). */
std::string sourceName(std::string_view sourceId);

/** Why a source was skipped without credentials, in words a user can act on. */
std::string skippedWhy(std::string_view sourceId);

/**
 * Fetches every live source concurrently (one thread each) and waits for all: one source failing
 * (HTTP error, stall, bad data) never stops the others. A source whose credentials are missing
 * (aws-spot-history without AWS credentials, gcp-billing without an API key) ends Skipped with
 * skippedWhy(). Every record of one refresh carries the same fetch time (config.settings.nowUnix,
 * else the time the refresh started). A source that read items but recognised no price at all
 * ends Failed (DataLoss: its format may have changed), so its last good data stays; rows it did
 * not expect are listed in its parsed warnings (at most 10, then a count). `onProgress(sourceId, progress)` may be
 * called from any of the threads. Stopping `stop` cancels every transfer promptly.
 */
std::vector<SourceOutcome> refreshAll(http::HttpClient& client, const RefreshConfig& config,
                                      const std::function<void(std::string_view, const sources::FetchProgress&)>& onProgress,
                                      std::stop_token stop);

}  // namespace spotwise::pricing
