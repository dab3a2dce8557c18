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
  // aws-spot-history before aws-spot-feed: on equal fetch times the per-zone API wins (Catalog's priority).
  static const std::vector<std::string> ids{"aws-offer", "aws-spot-history", "aws-spot-feed", "aws-spot-advisor", "azure-retail", "gcp-billing"};
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

std::string sourceName(std::string_view sourceId) {
  if (sourceId == "aws-offer") return "AwsOffer";
  if (sourceId == "aws-spot-history") return "AwsSpotHistory";
  if (sourceId == "aws-spot-feed") return "AwsSpotFeed";
  if (sourceId == "aws-spot-advisor") return "AwsSpotAdvisor";
  if (sourceId == "azure-retail") return "AzureRetail";
  if (sourceId == "gcp-billing") return "GcpBilling";
  return std::string(sourceId);
}

std::string skippedWhy(std::string_view sourceId) {
  if (sourceId == "aws-spot-history") {
    return "AwsSpotHistory: skipped, no AWS credentials (add them on the Accounts page or in ~/.aws); "
           "spot prices per region come from the public spot feed";
  }
  if (sourceId == "gcp-billing") {
    return "GcpBilling: skipped, no Cloud Billing API key (add one on the Accounts page, or set SPOTWISE_GCP_API_KEY "
           "for spotwise-cli); GCP prices come from the offline snapshot";
  }
  return std::string(sourceId) + ": skipped";
}

std::vector<SourceOutcome> refreshAll(http::HttpClient& client, const RefreshConfig& config,
                                      const std::function<void(std::string_view, const sources::FetchProgress&)>& onProgress,
                                      std::stop_token stop) {
  const auto& ids = liveSourceIds();
  std::vector<SourceOutcome> outcomes(ids.size());
  const std::int64_t fetchedUnix = config.settings.nowUnix != 0 ? config.settings.nowUnix : nowUnix();
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        SourceOutcome& outcome = outcomes[i];
        outcome.sourceId = ids[i];
        outcome.startedUnix = nowUnix();
        sources::FetchSettings settings = config.settings;
        settings.stop = stop;
        settings.nowUnix = fetchedUnix;
        if (onProgress) settings.onProgress = [&, i](const sources::FetchProgress& p) { onProgress(ids[i], p); };
        Result<sources::FetchResult> result = makeError(ErrorCode::Internal, "not run");
        const std::string& id = ids[i];
        // A source without the credentials it needs is skipped, saying why.
        if ((id == "aws-spot-history" && !config.aws) || (id == "gcp-billing" && config.gcpApiKey.empty())) {
          outcome.state = SourceOutcome::State::Skipped;
          outcome.error = makeError(ErrorCode::Unauthenticated, skippedWhy(id));
          outcome.finishedUnix = nowUnix();
          return;
        }
        if (id == "aws-offer") {
          result = sources::fetchAwsOnDemand(client, config.endpoints, config.awsRegions, config.cacheDir, settings);
        } else if (id == "aws-spot-history") {
          result = sources::fetchAwsSpotHistory(
              client, *config.aws, config.awsRegions,
              config.awsSpotHistoryTypes.empty() ? sources::awsGpuInstanceTypes() : config.awsSpotHistoryTypes, settings);
        } else if (id == "aws-spot-feed") {
          result = sources::fetchAwsSpotFeed(client, config.endpoints, settings);
        } else if (id == "aws-spot-advisor") {
          result = sources::fetchAwsAdvisor(client, config.endpoints, settings);
        } else if (id == "azure-retail") {
          result = sources::fetchAzureRetail(client, config.endpoints, config.azureFilter, settings);
        } else {
          result = sources::fetchGcpBilling(client, config.endpoints, config.gcpApiKey, settings);
        }
        outcome.finishedUnix = nowUnix();
        if (result && result->parsed.records.empty() && result->parsed.interruptions.empty() && result->parsed.itemsRead > 0) {
          // Items but not one price: the format changed under the parser. Failing keeps the last good data.
          std::string why = std::to_string(result->parsed.itemsRead) + " items read but no price recognised; the source's format may have changed";
          if (!result->parsed.warnings.empty()) why += " (" + result->parsed.warnings.front() + ")";
          result = makeError(ErrorCode::DataLoss, sourceName(id) + ": " + why);
        }
        if (result) {
          constexpr std::size_t kMaxWarnings = 10;
          auto& warnings = result->parsed.warnings;
          if (warnings.size() > kMaxWarnings) {
            const std::size_t more = warnings.size() - kMaxWarnings;
            warnings.resize(kMaxWarnings);
            warnings.push_back("... and " + std::to_string(more) + " more warnings");
          }
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
