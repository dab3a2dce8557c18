#include "core/pricing/PriceRefresh.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace spotwise::pricing {

namespace {
std::int64_t nowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
std::string awsEc2Endpoint(const auth::aws::Environment& env) {
  for (const char* name : {"AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"}) {
    if (auto value = env(name); value && !value->empty()) return *value;
  }
  return {};
}

bool isSet(const auth::aws::Environment& env, const char* name) {
  auto value = env(name);
  return value && !value->empty();
}
}  // namespace

Result<std::optional<sources::AwsApiAccess>> awsAccessFor(const RefreshConfig& config, http::HttpClient& client,
                                                          const std::stop_token& stop) {
  if (config.aws || !config.resolveAws) return config.aws;
  return config.resolveAws(client, stop);
}

AwsAccessResolver awsChainResolver(auth::aws::Environment env, std::optional<std::string> profile,
                                   auth::aws::ProcessRunner runProcess) {
  auth::aws::AwsResolverOptions defaults;
  defaults.env = std::move(env);
  defaults.runProcess = std::move(runProcess);
  return [base = std::move(defaults), named = std::move(profile)](
             http::HttpClient& client, const std::stop_token& stop) -> Result<std::optional<sources::AwsApiAccess>> {
    auth::aws::AwsResolverOptions options = base;  // a copy per call: the resolver may run on several threads
    options.client = &client;
    auto resolved = auth::aws::resolveAwsCredentials(options, named, stop);
    if (!resolved) {
      if (resolved.error().code == ErrorCode::NotFound) return std::optional<sources::AwsApiAccess>();
      // ~/.aws with named profiles only, and nothing naming one: no credentials to use, not a broken chain.
      const auto& vars = options.env;
      if (!named && !isSet(vars, "AWS_PROFILE") && !isSet(vars, "AWS_ACCESS_KEY_ID") && !isSet(vars, "AWS_SECRET_ACCESS_KEY")) {
        auto names = auth::aws::listAwsProfiles(vars);
        if (names && std::ranges::find(*names, std::string("default")) == names->end()) return std::optional<sources::AwsApiAccess>();
      }
      return resolved.error();
    }
    return std::optional(sources::AwsApiAccess{std::move(resolved->credentials), awsEc2Endpoint(options.env)});
  };
}

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
        // AWS credentials not handed in are looked for now, on this thread (a process, an STS call).
        std::optional<sources::AwsApiAccess> aws = config.aws;
        if (id == "aws-spot-history") {
          auto found = awsAccessFor(config, client, stop);
          if (!found) {
            outcome.error = found.error();
            outcome.error.message = sourceName(id) + ": AWS credentials: " + outcome.error.message;
            outcome.state = (stop.stop_requested() || outcome.error.code == ErrorCode::Cancelled) ? SourceOutcome::State::Cancelled
                                                                                                  : SourceOutcome::State::Failed;
            outcome.finishedUnix = nowUnix();
            return;
          }
          aws = std::move(*found);
        }
        // A source without the credentials it needs is skipped, saying why.
        if ((id == "aws-spot-history" && !aws) || (id == "gcp-billing" && config.gcpApiKey.empty())) {
          outcome.state = SourceOutcome::State::Skipped;
          outcome.error = makeError(ErrorCode::Unauthenticated, skippedWhy(id));
          outcome.finishedUnix = nowUnix();
          return;
        }
        if (id == "aws-offer") {
          result = sources::fetchAwsOnDemand(client, config.endpoints, config.awsRegions, config.cacheDir, settings);
        } else if (id == "aws-spot-history") {
          result = sources::fetchAwsSpotHistory(
              client, *aws, config.awsRegions,
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
