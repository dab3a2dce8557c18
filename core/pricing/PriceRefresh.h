#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/aws/AwsConfig.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"
#include "core/pricing/sources/Fetchers.h"

namespace spotwise::pricing {

/**
 * Finds AWS credentials when the refresh runs, on the aws-spot-history source's own thread (never
 * the GUI's): it may run a credential_process or call STS AssumeRole with `client`, and returns
 * promptly once `stop` is requested. nullopt: no credentials anywhere (the source is skipped); an
 * error: credentials exist but could not be obtained (the source fails, naming the step and why).
 */
using AwsAccessResolver =
    std::function<Result<std::optional<sources::AwsApiAccess>>(http::HttpClient& client, const std::stop_token& stop)>;

/**
 * The AWS CLI's credential chain as an AwsAccessResolver (what `spotwise-cli prices refresh` and
 * the Prices page use): environment keys, then `profile` (or AWS_PROFILE, else "default") in
 * ~/.aws with static keys, `credential_process` (run by `runProcess`) or `role_arn` +
 * `source_profile` (STS AssumeRole through the refresh's HTTP client; AWS_ENDPOINT_URL_STS /
 * AWS_ENDPOINT_URL redirect it). No credentials at all, or no default profile when none was
 * named, is nullopt. The EC2 endpoint comes from AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL (empty:
 * AWS's own). Errors are the resolver's ("credential_process of profile 'p': the command failed
 * (exit status 1)", "AWS profile 'p': STS AssumeRole ...: HTTP 403, AccessDenied: ..."); the
 * secrets it finds are registered for log redaction and never appear in a message.
 */
AwsAccessResolver awsChainResolver(auth::aws::Environment env, std::optional<std::string> profile = std::nullopt,
                                   auth::aws::ProcessRunner runProcess = auth::aws::systemProcessRunner());

/** What a live refresh fetches, from where, and with which limits. */
struct RefreshConfig {
  sources::SourceEndpoints endpoints;
  std::vector<std::string> awsRegions = sources::defaultAwsOfferRegions();
  std::filesystem::path cacheDir;   ///< AWS offer files and their ETags
  std::string gcpApiKey;            ///< empty: the GCP source is skipped (needs a key)
  /** AWS credentials: with them, spot prices per zone come from DescribeSpotPriceHistory too; without, that source is skipped. */
  std::optional<sources::AwsApiAccess> aws;
  /**
   * Used only when `aws` is not set: finds the credentials inside the refresh, on the
   * aws-spot-history thread (see AwsAccessResolver). Its error fails that source as
   * "AwsSpotHistory: AWS credentials: <why>"; the other sources are not affected.
   */
  AwsAccessResolver resolveAws;
  std::vector<std::string> awsSpotHistoryTypes;  ///< empty: sources::awsGpuInstanceTypes() (resolved at refresh, not at start)
  std::string azureFilter = sources::azureGpuFilter();
  sources::FetchSettings settings;  ///< timeouts, retries, max pages (onProgress/stop are set per source)
};

/**
 * The AWS access a refresh uses: `config.aws` when set, else what `config.resolveAws` finds (on the
 * caller's thread, with `client` for STS); nullopt when there are no credentials anywhere, an error
 * when there are but they cannot be had.
 */
Result<std::optional<sources::AwsApiAccess>> awsAccessFor(const RefreshConfig& config, http::HttpClient& client,
                                                          const std::stop_token& stop);

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
 * skippedWhy(); credentials that config.resolveAws finds but cannot obtain (an STS refusal, a
 * credential_process that fails) fail aws-spot-history alone. Every record of one refresh carries the same fetch time (config.settings.nowUnix,
 * else the time the refresh started). A source that read items but recognised no price at all
 * ends Failed (DataLoss: its format may have changed), so its last good data stays; rows it did
 * not expect are listed in its parsed warnings (at most 10, then a count). `onProgress(sourceId, progress)` may be
 * called from any of the threads. Stopping `stop` cancels every transfer promptly.
 */
std::vector<SourceOutcome> refreshAll(http::HttpClient& client, const RefreshConfig& config,
                                      const std::function<void(std::string_view, const sources::FetchProgress&)>& onProgress,
                                      std::stop_token stop);

}  // namespace spotwise::pricing
