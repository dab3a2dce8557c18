#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/cloud/aws/Ec2Api.h"
#include "core/common/Result.h"
#include "core/pricing/PriceHistory.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::pricing::sources {

/** The region code of a spot-feed region key: legacy names ("us-east", "eu-ireland", "apac-syd") or codes. */
std::optional<std::string> awsRegionFromSpotFeedName(std::string_view name);

/**
 * Parses the AWS website spot price feed (`https://spot-price.s3.amazonaws.com/spot.js`): JSONP
 * `callback({...});` (a comment header before it is allowed) or the bare JSON object. One Linux
 * spot price per region and size; "N/A*" prices are left out (counted in the notes), never $0.
 * Errors ("AwsSpotFeed: ..."): malformed/truncated JSON, no USD currency, an unknown legacy region
 * name, a price that is neither a number nor "N/A*".
 */
Result<ParsedPrices> parseAwsSpotFeed(std::string_view text, std::string_view sourceId = "aws-spot-feed",
                                      std::int64_t asOfUnix = 0);

/**
 * Parses the AWS Spot Instance Advisor file (`spot-advisor-data.json`) into Linux interruption
 * bands per region and instance type; `r` is looked up in `ranges` by `index` (never by position).
 * Band bounds come from the published label ("<5%" → 0–5, "5-10%" → 5–10, ">20%" → 20–100).
 * Errors ("AwsSpotAdvisor: ..."): malformed JSON, a range without index/label, an `r` with no range.
 */
Result<ParsedPrices> parseAwsSpotAdvisor(std::string_view text, std::string_view sourceId = "aws-spot-advisor",
                                         std::int64_t asOfUnix = 0);

/**
 * The newest item per (zone, instance type) among the Linux/UNIX items of a spot price history,
 * as records of `sourceId`; `region` fills records (else derived from the zone). A record's zone is
 * the item's zone ID when it has one (the catalog's key for AWS zones), else its zone name. Each
 * record's asOfUnix is `fetchedUnix`, or the item's own timestamp when `fetchedUnix` is 0.
 */
ParsedPrices newestSpotPerZone(const std::vector<cloud::aws::SpotPrice>& items, std::string_view region,
                               std::string_view sourceId, std::int64_t fetchedUnix);

/**
 * The Linux spot price of `instanceType` over time from a spot price history: in `zone` (matched
 * against each item's zone ID, else its name) or, when `zone` is empty, the lowest price across the
 * zones at each change, a zone's price holding until its next change. One point per change of that
 * price, oldest first, at the time it took effect (fetchedUnix = asOfUnix), sourceId "aws-spot-history".
 */
std::vector<HistoryPoint> spotPriceChanges(const std::vector<cloud::aws::SpotPrice>& items, std::string_view instanceType,
                                           std::string_view zone);

/**
 * Parses one recorded `DescribeSpotPriceHistory` reply (EC2 Query API XML, read with the EC2
 * client's parser) into newestSpotPerZone() records stamped with each item's timestamp; `nextPage`
 * is the `nextToken` (an empty element at the end of paging gives ""). An EC2 `<Errors>` reply
 * becomes ec2Error() (provider code kept); a cut or malformed document is DataLoss; an item
 * without zone, type, product, a positive price or an ISO 8601 timestamp is InvalidArgument.
 */
Result<ParsedPrices> parseAwsSpotPriceHistory(std::string_view xml, std::string_view region = {},
                                              std::string_view sourceId = "aws-spot-history");

}  // namespace spotwise::pricing::sources
