#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
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
  std::string azureFilter = sources::azureGpuFilter();
  sources::FetchSettings settings;  ///< timeouts, retries, max pages (onProgress/stop are set per source)
};

/** The live sources, in the order they are shown. */
const std::vector<std::string>& liveSourceIds();  // aws-offer, aws-spot-feed, aws-spot-advisor, azure-retail, gcp-billing

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

/**
 * Fetches every live source concurrently (one thread each) and waits for all: one source failing
 * (HTTP error, stall, bad data) never stops the others. `onProgress(sourceId, progress)` may be
 * called from any of the threads. Stopping `stop` cancels every transfer promptly.
 */
std::vector<SourceOutcome> refreshAll(http::HttpClient& client, const RefreshConfig& config,
                                      const std::function<void(std::string_view, const sources::FetchProgress&)>& onProgress,
                                      std::stop_token stop);

}  // namespace spotwise::pricing
