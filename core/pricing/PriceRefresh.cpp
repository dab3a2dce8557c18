#include "core/pricing/PriceRefresh.h"

#include <chrono>
#include <thread>

namespace spotwise::pricing {

namespace {
std::int64_t nowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

const std::vector<std::string>& liveSourceIds() {
  static const std::vector<std::string> ids{"aws-offer", "aws-spot-feed", "aws-spot-advisor", "azure-retail", "gcp-billing"};
  return ids;
}

std::string_view outcomeStateName(SourceOutcome::State state) {
  switch (state) {
    case SourceOutcome::State::Fresh: return "fresh";
    case SourceOutcome::State::Failed: return "failed";
    case SourceOutcome::State::Skipped: return "skipped";
    case SourceOutcome::State::Cancelled: return "cancelled";
  }
  return "failed";
}

std::vector<SourceOutcome> refreshAll(http::HttpClient& client, const RefreshConfig& config,
                                      const std::function<void(std::string_view, const sources::FetchProgress&)>& onProgress,
                                      std::stop_token stop) {
  const auto& ids = liveSourceIds();
  std::vector<SourceOutcome> outcomes(ids.size());
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        SourceOutcome& outcome = outcomes[i];
        outcome.sourceId = ids[i];
        outcome.startedUnix = nowUnix();
        sources::FetchSettings settings = config.settings;
        settings.stop = stop;
        if (onProgress) settings.onProgress = [&, i](const sources::FetchProgress& p) { onProgress(ids[i], p); };
        Result<sources::FetchResult> result = makeError(ErrorCode::Internal, "not run");
        const std::string& id = ids[i];
        if (id == "aws-offer") {
          result = sources::fetchAwsOnDemand(client, config.endpoints, config.awsRegions, config.cacheDir, settings);
        } else if (id == "aws-spot-feed") {
          result = sources::fetchAwsSpotFeed(client, config.endpoints, settings);
        } else if (id == "aws-spot-advisor") {
          result = sources::fetchAwsAdvisor(client, config.endpoints, settings);
        } else if (id == "azure-retail") {
          result = sources::fetchAzureRetail(client, config.endpoints, config.azureFilter, settings);
        } else if (config.gcpApiKey.empty()) {
          outcome.state = SourceOutcome::State::Skipped;
          outcome.error = makeError(ErrorCode::Unauthenticated, "GcpBilling: no API key (add one on the Accounts page)");
          outcome.finishedUnix = nowUnix();
          return;
        } else {
          result = sources::fetchGcpBilling(client, config.endpoints, config.gcpApiKey, settings);
        }
        outcome.finishedUnix = nowUnix();
        if (result) {
          outcome.state = SourceOutcome::State::Fresh;
          outcome.result = std::move(result.value());
        } else {
          outcome.error = result.error();
          outcome.state = (stop.stop_requested() || outcome.error.code == ErrorCode::Cancelled) ? SourceOutcome::State::Cancelled
                                                                                                : SourceOutcome::State::Failed;
        }
      });
    }
  }  // joins
  return outcomes;
}

}  // namespace spotwise::pricing
