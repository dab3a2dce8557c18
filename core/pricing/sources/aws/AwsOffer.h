#pragma once

#include <cstdint>
#include <istream>
#include <string>

#include "core/common/Result.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::pricing::sources {

struct AwsOfferOptions {
  std::string sourceId = "aws-offer";
  std::int64_t asOfUnix = 0;  ///< 0 = the file's publicationDate
  std::string regionHint;     ///< region of a per-region file, used when products lack regionCode (without it they are left out)
};

/**
 * Extracts Linux on-demand prices of GPU machines from an AWS Price List bulk offer file
 * (`offers/v1.0/aws/AmazonEC2/.../index.json`), STREAMING: memory stays bounded by the GPU products
 * kept (a few hundred per region) whatever the file size.
 *
 * Selection (one price per instance type and region): productFamily "Compute Instance…", a `gpu`
 * attribute > 0, operatingSystem Linux, tenancy Shared, capacitystatus Used, preInstalledSw NA,
 * licenseModel "No License required"; the OnDemand term's hourly ("Hrs") USD dimension. Reserved
 * terms are skipped unread. A $0 price is left out (noted), never reported. A selected product with no
 * `regionCode` takes `regionHint`; with neither it is left out with a warning naming its SKU (its
 * `location` display name is not trusted to place a price).
 *
 * Errors (naming "AwsOffer"): not an AmazonEC2 v1.0 offer file; malformed or truncated JSON (with
 * the byte offset); prices in another currency (China-partition files price in CNY); terms before
 * products (AWS always writes products first; streaming relies on it); a non-numeric price.
 */
Result<ParsedPrices> parseAwsOfferFile(std::istream& in, const AwsOfferOptions& options = {});

}  // namespace spotwise::pricing::sources
