#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::pricing::sources {

/** The raw formats `prices import` and the snapshot manifest understand. */
const std::vector<std::string_view>& importFormats();

struct ImportOptions {
  std::string sourceId;        ///< defaults to the format name
  std::int64_t asOfUnix = 0;   ///< 0 = what the file says (publication/effective time)
  std::int64_t nowUnix = 0;    ///< Azure effectiveStartDate cut-off; 0 = the current time
  std::string region;          ///< aws-spot-history / aws-offer: the region the file is for
};

/**
 * Parses one recorded raw response of `format` ("aws-offer", "aws-spot-feed", "aws-advisor",
 * "aws-spot-history", "azure-retail", "gcp-billing") from `path`. The AWS offer file is streamed;
 * the others are read whole. Errors name the file and the source.
 */
Result<ParsedPrices> importSourceFile(std::string_view format, const std::filesystem::path& path, const ImportOptions& options = {});

}  // namespace spotwise::pricing::sources
