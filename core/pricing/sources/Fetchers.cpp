#include "core/pricing/sources/Fetchers.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "core/cloud/aws/Ec2Compute.h"
#include "core/pricing/sources/MachineCatalog.h"
#include "core/pricing/sources/aws/AwsOffer.h"
#include "core/pricing/sources/aws/AwsSpot.h"
#include "core/pricing/sources/azure/AzureRetail.h"
#include "core/pricing/sources/gcp/GcpBilling.h"

namespace spotwise::pricing::sources {

namespace {

std::int64_t nowOr(std::int64_t now) {
  return now != 0 ? now : std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/** Prefixes an error with the source (and where), keeping code, status and provider code. */
Error named(std::string_view source, const Error& error) {
  Error e = error;
  if (!e.message.starts_with(std::string(source) + ":")) e.message = std::string(source) + ": " + e.message;
  return e;
}

/** GET with retries; the body buffered (small documents and pages). */
Result<http::Response> getBuffered(http::HttpClient& client, std::string_view source, const std::string& url,
                                   const FetchSettings& settings, const http::Headers& headers = {}) {
  http::RealSleeper sleeper;
  http::RealSteadyClock clock;
  http::RetryContext context(sleeper, clock, std::random_device{}(), settings.stop);
  return http::retryCall<http::Response>(settings.retry, http::Idempotency::Idempotent, context, [&]() -> Result<http::Response> {
    http::Request request;
    request.url = url;
    request.headers = headers;
    request.timeout = settings.timeout;
    request.stallTimeout = settings.stallTimeout;
    request.stop = settings.stop;
    if (settings.onProgress) {
      request.onProgress = [&](std::uint64_t received, std::uint64_t total) { settings.onProgress({received, total, "bytes"}); };
    }
    auto response = client.send(request);
    if (!response) return named(source, response.error());
    if (auto error = http::errorFromResponse(source, *response)) return *error;
    return response;
  });
}

std::string resolve(const std::string& base, const std::string& url) {
  if (url.starts_with("http://") || url.starts_with("https://")) return url;
  if (!base.empty() && base.back() == '/' && url.starts_with("/")) return base + url.substr(1);
  return base + url;
}

}  // namespace

const std::vector<std::string>& defaultAwsOfferRegions() {
  static const std::vector<std::string> regions{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"};
  return regions;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<FetchResult> fetchAwsOnDemand(http::HttpClient& client, const SourceEndpoints& endpoints,
                                     const std::vector<std::string>& regions, const std::filesystem::path& cacheDir,
                                     const FetchSettings& settings) {
  constexpr std::string_view kSource = "AwsOffer";
  auto index = getBuffered(client, kSource, endpoints.awsRegionIndexUrl, settings);
  if (!index) return index.error();
  const auto root = nlohmann::json::parse(index->body, nullptr, false);
  if (root.is_discarded() || !root.contains("regions") || !root["regions"].is_object()) {
    return makeError(ErrorCode::InvalidArgument, "AwsOffer: region_index.json has no regions object (truncated or malformed)");
  }
  std::error_code ec;
  std::filesystem::create_directories(cacheDir, ec);
  if (ec) return makeError(ErrorCode::FailedPrecondition, "AwsOffer: cannot create cache folder " + cacheDir.string() + ": " + ec.message());
  FetchResult result;
  result.notModified = true;
  const std::int64_t now = nowOr(settings.nowUnix);
  for (const auto& region : regions) {
    const std::string where = "AwsOffer " + region;
    const auto entry = root["regions"].find(region);
    if (entry == root["regions"].end() || !entry->contains("currentVersionUrl")) {
      return makeError(ErrorCode::NotFound, where + ": not in region_index.json");
    }
    const std::string url = resolve(endpoints.awsOfferBase, (*entry)["currentVersionUrl"].get<std::string>());
    const auto dataPath = cacheDir / ("aws-offer-" + region + ".json");
    const auto etagPath = cacheDir / ("aws-offer-" + region + ".etag");
    std::string etag;
    if (std::filesystem::exists(dataPath)) {
      std::ifstream in(etagPath);
      std::getline(in, etag);
    }
    // Stream the body to a temporary file; it replaces the cached file only when complete.
    const auto partPath = cacheDir / ("aws-offer-" + region + ".json.part");
    http::RealSleeper sleeper;
    http::RealSteadyClock clock;
    http::RetryContext context(sleeper, clock, std::random_device{}(), settings.stop);
    std::uint64_t bytes = 0;
    auto response = http::retryCall<http::Response>(settings.retry, http::Idempotency::Idempotent, context, [&]() -> Result<http::Response> {
      std::ofstream part(partPath, std::ios::binary | std::ios::trunc);
      if (!part) return makeError(ErrorCode::FailedPrecondition, where + ": cannot write " + partPath.string());
      bytes = 0;
      http::Request request;
      request.url = url;
      if (!etag.empty()) request.headers.emplace_back("If-None-Match", etag);
      request.timeout = settings.timeout;
      request.stallTimeout = settings.stallTimeout;
      request.stop = settings.stop;
      request.onData = [&](std::string_view chunk) {
        part.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        bytes += chunk.size();
        return static_cast<bool>(part);
      };
      if (settings.onProgress) {
        request.onProgress = [&](std::uint64_t received, std::uint64_t total) { settings.onProgress({received, total, "bytes"}); };
      }
      auto r = client.send(request);
      part.close();
      if (!r) return named(where, r.error());
      if (r->status == 304) return r;
      if (auto error = http::errorFromResponse(where, *r)) return *error;
      if (!part) return makeError(ErrorCode::DataLoss, where + ": writing " + partPath.string() + " failed (disk full?)");
      return r;
    });
    if (!response) {
      std::filesystem::remove(partPath, ec);
      return response.error();
    }
    if (response->status == 304) {
      std::filesystem::remove(partPath, ec);
    } else {
      result.notModified = false;
      result.bytes += bytes;
      std::filesystem::rename(partPath, dataPath, ec);
      if (ec) return makeError(ErrorCode::FailedPrecondition, where + ": cannot keep " + dataPath.string() + ": " + ec.message());
      std::ofstream(etagPath, std::ios::trunc) << response->header("ETag").value_or("");
    }
    std::ifstream in(dataPath, std::ios::binary);
    auto parsed = parseAwsOfferFile(in, AwsOfferOptions{"aws-offer", now, region});
    if (!parsed) {
      // A corrupt cached copy must not be trusted next time either.
      std::filesystem::remove(etagPath, ec);
      return named(where, parsed.error());
    }
    ++result.pages;
    std::ranges::move(parsed->records, std::back_inserter(result.parsed.records));
    for (auto& note : parsed->notes) result.parsed.notes.push_back(region + ": " + note);
    for (auto& warning : parsed->warnings) result.parsed.warnings.push_back(region + ": " + warning);
    result.parsed.itemsRead += parsed->itemsRead;
  }
  return result;
}

Result<FetchResult> fetchAwsSpotFeed(http::HttpClient& client, const SourceEndpoints& endpoints, const FetchSettings& settings) {
  auto response = getBuffered(client, "AwsSpotFeed", endpoints.awsSpotFeedUrl, settings);
  if (!response) return response.error();
  auto parsed = parseAwsSpotFeed(response->body, "aws-spot-feed", nowOr(settings.nowUnix));
  if (!parsed) return parsed.error();
  return FetchResult{std::move(*parsed), false, response->body.size(), 1};
}

Result<FetchResult> fetchAwsAdvisor(http::HttpClient& client, const SourceEndpoints& endpoints, const FetchSettings& settings) {
  auto response = getBuffered(client, "AwsSpotAdvisor", endpoints.awsAdvisorUrl, settings);
  if (!response) return response.error();
  auto parsed = parseAwsSpotAdvisor(response->body, "aws-spot-advisor", nowOr(settings.nowUnix));
  if (!parsed) return parsed.error();
  return FetchResult{std::move(*parsed), false, response->body.size(), 1};
}

std::vector<std::string> awsGpuInstanceTypes() {
  std::set<std::string> types;
  for (const auto& m : builtinMachines()) {
    if (m.provider == CloudProvider::Aws) types.insert(m.instanceType);
  }
  return {types.begin(), types.end()};
}

namespace {

cloud::aws::Ec2Compute ec2For(http::HttpClient& client, const AwsApiAccess& access, const FetchSettings& settings) {
  cloud::aws::AwsSettings aws;
  aws.credentials = access.credentials;
  aws.endpointOverride = access.endpointOverride;
  cloud::Transport transport = cloud::realTransport(client);
  transport.retry = settings.retry;
  transport.attemptTimeout = settings.timeout;
  transport.stallTimeout = settings.stallTimeout;
  return {aws, transport};
}

/**
 * Fills each spot price's zone ID where the reply had none (older API versions, moto) from this account's
 * DescribeAvailabilityZones. Returns why the mapping could not be had, or an empty string.
 */
std::string fillZoneIds(cloud::aws::Ec2Compute& ec2, const std::string& region, std::vector<cloud::aws::SpotPrice>& prices,
                        const cloud::CallOptions& options) {
  if (std::ranges::none_of(prices, [](const cloud::aws::SpotPrice& p) { return p.zoneId.empty(); })) return {};
  auto zones = ec2.availabilityZones(region, options);
  if (!zones) return zones.error().message;
  std::map<std::string, std::string, std::less<>> idByName;
  for (const auto& z : *zones) idByName[z.name] = z.id;
  for (auto& p : prices) {
    if (const auto it = idByName.find(p.zone); p.zoneId.empty() && it != idByName.end()) p.zoneId = it->second;
  }
  return {};
}

}  // namespace

Result<FetchResult> fetchAwsSpotHistory(http::HttpClient& client, const AwsApiAccess& access,
                                        const std::vector<std::string>& regions,
                                        const std::vector<std::string>& instanceTypes, const FetchSettings& settings) {
  if (access.credentials.accessKeyId.empty() || access.credentials.secretAccessKey.empty()) {
    return makeError(ErrorCode::Unauthenticated, "AwsSpotHistory: no AWS credentials");
  }
  if (instanceTypes.empty()) return makeError(ErrorCode::InvalidArgument, "AwsSpotHistory: no instance types to ask for");
  cloud::aws::Ec2Compute ec2 = ec2For(client, access, settings);
  const std::int64_t now = nowOr(settings.nowUnix);
  FetchResult result;
  for (const auto& region : regions) {
    cloud::CallOptions options;
    options.deadline = std::chrono::steady_clock::now() + settings.timeout;
    options.stop = settings.stop;
    // StartTime = now: AWS answers the price in effect now for every zone and type (plus any change after).
    auto prices = ec2.spotPriceHistory(region, instanceTypes, "", now, options);
    if (!prices) {
      Error e = prices.error();
      e.message = "AwsSpotHistory " + region + ": " + e.message;
      return e;
    }
    ++result.pages;
    if (settings.onProgress) settings.onProgress({result.pages, regions.size(), "pages"});
    // Zone IDs, which the catalog keys AWS zones by: current API versions send them with each item;
    // otherwise this account's name → ID mapping. Without it the zone names stay, and a note says why.
    if (const std::string why = fillZoneIds(ec2, region, *prices, options); !why.empty()) {
      result.parsed.notes.push_back(region + ": zones are named as in this account, not by zone ID (" + why + ")");
    }
    auto parsed = newestSpotPerZone(*prices, region, "aws-spot-history", now);
    result.parsed.itemsRead += parsed.itemsRead;
    std::ranges::move(parsed.records, std::back_inserter(result.parsed.records));
    for (auto& note : parsed.notes) result.parsed.notes.push_back(region + ": " + note);
  }
  return result;
}

Result<std::vector<HistoryPoint>> fetchAwsSpotPriceChanges(http::HttpClient& client, const AwsApiAccess& access,
                                                           const std::string& region, const std::string& instanceType,
                                                           const std::string& zone, std::int64_t sinceUnix,
                                                           const FetchSettings& settings) {
  const std::string where = "AwsSpotPriceHistory " + region;
  if (access.credentials.accessKeyId.empty() || access.credentials.secretAccessKey.empty()) {
    return makeError(ErrorCode::Unauthenticated, where + ": no AWS credentials");
  }
  cloud::aws::Ec2Compute ec2 = ec2For(client, access, settings);
  cloud::CallOptions options;
  options.deadline = std::chrono::steady_clock::now() + settings.timeout;
  options.stop = settings.stop;
  auto prices = ec2.spotPriceHistory(region, {instanceType}, zone, sinceUnix, options);
  if (!prices) return named(where, prices.error());
  if (cloud::aws::isAvailabilityZoneId(zone)) {
    if (const std::string why = fillZoneIds(ec2, region, *prices, options); !why.empty()) {
      return makeError(ErrorCode::FailedPrecondition, where + ": cannot tell which zone is " + zone + " in this account (" + why + ")");
    }
  }
  return spotPriceChanges(*prices, instanceType, zone);
}

std::string azureGpuFilter() {
  return "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and contains(armSkuName, 'Standard_N')";
}

Result<FetchResult> fetchAzureRetail(http::HttpClient& client, const SourceEndpoints& endpoints, const std::string& filter,
                                     const FetchSettings& settings) {
  std::string url = endpoints.azureRetailUrl + "?api-version=2023-01-01-preview&$filter=" + percentEncode(filter);
  std::vector<AzureRetailRow> rows;
  FetchResult result;
  std::set<std::string> seen;
  while (!url.empty()) {
    if (result.pages >= settings.maxPages) {
      return makeError(ErrorCode::DataLoss, "AzureRetail: more than " + std::to_string(settings.maxPages) + " pages; giving up");
    }
    if (!seen.insert(url).second) return makeError(ErrorCode::DataLoss, "AzureRetail: NextPageLink repeats a page already read");
    const std::string where = "AzureRetail page " + std::to_string(result.pages + 1);
    auto response = getBuffered(client, where, url, settings);
    if (!response) return response.error();
    auto page = parseAzureRetailPage(response->body);
    if (!page) return named(where, page.error());
    ++result.pages;
    result.bytes += response->body.size();
    if (settings.onProgress) settings.onProgress({result.pages, 0, "pages"});
    std::ranges::move(page->rows, std::back_inserter(rows));
    for (auto& w : page->warnings) result.parsed.warnings.push_back(where + ": " + w);
    result.parsed.itemsRead += page->itemsRead;
    url = page->nextPageLink;
  }
  const std::int64_t now = nowOr(settings.nowUnix);
  result.parsed.records = selectAzurePrices(rows, now, "azure-retail", now);
  return result;
}

Result<FetchResult> fetchGcpBilling(http::HttpClient& client, const SourceEndpoints& endpoints, const std::string& apiKey,
                                    const FetchSettings& settings) {
  if (apiKey.empty()) return makeError(ErrorCode::Unauthenticated, "GcpBilling: no API key (add one on the Accounts page)");
  std::vector<GcpComponentPrice> components;
  FetchResult result;
  std::string token;
  std::set<std::string> seenTokens;
  do {
    if (result.pages >= settings.maxPages) {
      return makeError(ErrorCode::DataLoss, "GcpBilling: more than " + std::to_string(settings.maxPages) + " pages; giving up");
    }
    const std::string where = "GcpBilling page " + std::to_string(result.pages + 1);
    std::string url = endpoints.gcpBillingUrl + "?key=" + percentEncode(apiKey) + "&currencyCode=USD&pageSize=5000";
    if (!token.empty()) url += "&pageToken=" + percentEncode(token);
    auto response = getBuffered(client, where, url, settings);
    if (!response) return response.error();
    auto page = parseGcpSkuPage(response->body);
    if (!page) return named(where, page.error());
    ++result.pages;
    result.bytes += response->body.size();
    if (settings.onProgress) settings.onProgress({result.pages, 0, "pages"});
    std::ranges::move(page->components, std::back_inserter(components));
    for (auto& w : page->warnings) result.parsed.warnings.push_back(where + ": " + w);
    result.parsed.itemsRead += page->itemsRead;
    token = page->nextPageToken;
    if (!token.empty() && !seenTokens.insert(token).second) return makeError(ErrorCode::DataLoss, "GcpBilling: nextPageToken repeats");
  } while (!token.empty());
  result.parsed.records = composeGcpMachinePrices(components, builtinMachines(), "gcp-billing", nowOr(settings.nowUnix));
  return result;
}

}  // namespace spotwise::pricing::sources
