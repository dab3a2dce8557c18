#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/aws/SigV4.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"
#include "core/http/Retry.h"
#include "core/pricing/PriceHistory.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::pricing::sources {

/*
 * Unexpected data, per source (what a user needs to know, and what stays trustworthy):
 * - Extra fields a source adds are ignored everywhere: they change nothing the parser reads.
 * - A document that is cut, not JSON/XML, in another currency, or missing the structure a parser
 *   walks (AWS offer "products"/"terms", Azure "Items", GCP "skus", spot feed "config.regions",
 *   advisor "ranges") is an error naming the source (and region/page/SKU) and what was wrong; the
 *   source's last good data stays.
 * - Rows whose values the parser does not know are left out and reported as warnings in the
 *   source's status, never silently: spot feed regions with an unknown legacy name or sizes
 *   without a "linux" column; Azure rows of an unknown `type`, in a unit other than hours, or
 *   without armSkuName/armRegionName; GCP compute SKUs of an unknown `usageType` or usageUnit.
 *   Known exclusions (Windows, Reservation, DevTest, Low Priority, Commit1Yr/3Yr, N/A prices) are
 *   notes, as before.
 * - A response with items but not one recognised price (the format changed under the parser) is
 *   a failure (refreshAll), so it cannot replace the last good data with nothing.
 */

/** Where each source is fetched from: the public endpoints by default, a loopback server in tests. */
struct SourceEndpoints {
  /** region_index.json; its `currentVersionUrl`s are resolved against awsOfferBase. */
  std::string awsRegionIndexUrl = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/region_index.json";
  std::string awsOfferBase = "https://pricing.us-east-1.amazonaws.com";
  std::string awsSpotFeedUrl = "https://spot-price.s3.amazonaws.com/spot.js";
  std::string awsAdvisorUrl = "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json";
  std::string azureRetailUrl = "https://prices.azure.com/api/retail/prices";
  std::string gcpBillingUrl = "https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus";
};

/** The AWS regions whose offer files are fetched by default (GPU regions users train in). */
const std::vector<std::string>& defaultAwsOfferRegions();

/** Progress of one source: bytes for downloads (total 0 if unknown), or pages for paged APIs. */
struct FetchProgress {
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  std::string_view unit;  ///< "bytes" or "pages"
};

/** How one fetch runs: limits, retries, progress and cancellation. */
struct FetchSettings {
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};       ///< per request (offer files are big)
  std::chrono::milliseconds stallTimeout{std::chrono::seconds(30)};  ///< no byte for this long: failed
  http::RetryPolicy retry{};
  std::size_t maxPages = 2000;  ///< a paged API that never ends is an error, not a hang
  std::function<void(const FetchProgress&)> onProgress;
  std::stop_token stop;
  std::int64_t nowUnix = 0;     ///< fetch time stamped on the records; 0 = now
};

/** What a fetch brought: the parsed prices, and whether a cached copy was used (HTTP 304). */
struct FetchResult {
  ParsedPrices parsed;
  bool notModified = false;
  std::uint64_t bytes = 0;
  std::size_t pages = 0;
};

/**
 * AWS on-demand: region_index.json, then each region's offer file (`regions` of the index), each
 * downloaded straight to `cacheDir` (never held in memory) and parsed streaming. The ETag of every
 * file is kept beside it and sent as If-None-Match, so an unchanged file is not downloaded again
 * (HTTP 304: the cached file is parsed). Errors name "AwsOffer" and the region.
 */
Result<FetchResult> fetchAwsOnDemand(http::HttpClient& client, const SourceEndpoints& endpoints,
                                     const std::vector<std::string>& regions, const std::filesystem::path& cacheDir,
                                     const FetchSettings& settings);

/** AWS website spot feed (spot.js). */
Result<FetchResult> fetchAwsSpotFeed(http::HttpClient& client, const SourceEndpoints& endpoints, const FetchSettings& settings);

/** AWS Spot Instance Advisor (interruption bands). */
Result<FetchResult> fetchAwsAdvisor(http::HttpClient& client, const SourceEndpoints& endpoints, const FetchSettings& settings);

/** The OData filter for GPU VM sizes (N-series), Consumption prices. */
std::string azureGpuFilter();

/**
 * Azure Retail Prices: `?api-version=2023-01-01-preview&$filter=…`, following NextPageLink verbatim
 * until it is null/empty; rows of all pages are collected, then one price per size/region/kind is
 * chosen (latest effectiveStartDate ≤ now). A link that repeats or more than maxPages pages is an
 * error. Errors name "AzureRetail" and the page number.
 */
Result<FetchResult> fetchAzureRetail(http::HttpClient& client, const SourceEndpoints& endpoints, const std::string& filter,
                                     const FetchSettings& settings);

/**
 * GCP Cloud Billing Catalog, Compute Engine SKUs (`?key=…&currencyCode=USD&pageSize=5000`, paging
 * on nextPageToken), composed into machine prices with the built-in machine table. The API key is
 * never put into an error message.
 */
Result<FetchResult> fetchGcpBilling(http::HttpClient& client, const SourceEndpoints& endpoints, const std::string& apiKey,
                                    const FetchSettings& settings);

/** Signed access to the EC2 API for DescribeSpotPriceHistory; credentials are handed in, never stored. */
struct AwsApiAccess {
  auth::aws::AwsCredentials credentials;
  /** One endpoint for every region (moto in the lab); empty = https://ec2.<region>.amazonaws.com/. */
  std::string endpointOverride;
};

/** The AWS GPU instance types of the built-in machine table (what DescribeSpotPriceHistory asks for). */
std::vector<std::string> awsGpuInstanceTypes();

/**
 * AWS spot prices per zone: one signed `DescribeSpotPriceHistory` per region (all its zones,
 * Linux/UNIX, StartTime = now, following NextToken), for `instanceTypes`. AWS answers the price in
 * effect at StartTime for every zone and type, so the newest item per (zone, type) is kept and
 * stamped with the fetch time (the time it is known to hold); records carry sourceId
 * "aws-spot-history". Errors name "AwsSpotHistory", the region and the EC2 error code
 * (AuthFailure → Unauthenticated, UnauthorizedOperation → PermissionDenied).
 */
Result<FetchResult> fetchAwsSpotHistory(http::HttpClient& client, const AwsApiAccess& access,
                                        const std::vector<std::string>& regions,
                                        const std::vector<std::string>& instanceTypes, const FetchSettings& settings);

/**
 * AWS's own record of one offer's Linux spot price over time, for the History chart: signed
 * `DescribeSpotPriceHistory` calls from `sinceUnix` for `instanceType` in `region`, in `zone` (a
 * zone ID, as the catalog keys them, or a name) or, when `zone` is empty, the lowest price across
 * the region's zones at each change. Points are the price changes, oldest first, each at the time it
 * took effect (fetchedUnix = asOfUnix), with sourceId "aws-spot-history"; AWS keeps about 90 days.
 * Errors name "AwsSpotPriceHistory" and the region.
 */
Result<std::vector<HistoryPoint>> fetchAwsSpotPriceChanges(http::HttpClient& client, const AwsApiAccess& access,
                                                           const std::string& region, const std::string& instanceType,
                                                           const std::string& zone, std::int64_t sinceUnix,
                                                           const FetchSettings& settings);

/** Percent-encodes a query value (RFC 3986 unreserved characters kept). */
std::string percentEncode(std::string_view text);

}  // namespace spotwise::pricing::sources
