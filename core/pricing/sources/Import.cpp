#include "core/pricing/sources/Import.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "core/pricing/sources/aws/AwsOffer.h"
#include "core/pricing/sources/aws/AwsSpot.h"
#include "core/pricing/sources/azure/AzureRetail.h"
#include "core/pricing/sources/gcp/GcpBilling.h"

namespace spotwise::pricing::sources {

const std::vector<std::string_view>& importFormats() {
  static const std::vector<std::string_view> formats{"aws-offer",        "aws-spot-feed", "aws-advisor",
                                                     "aws-spot-history", "azure-retail",  "gcp-billing"};
  return formats;
}

Result<ParsedPrices> importSourceFile(std::string_view format, const std::filesystem::path& path, const ImportOptions& options) {
  if (std::ranges::find(importFormats(), format) == importFormats().end()) {
    return makeError(ErrorCode::InvalidArgument, "Import: unknown format '" + std::string(format) + "'");
  }
  const std::string sourceId = options.sourceId.empty() ? std::string(format) : options.sourceId;
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorCode::NotFound, "Import " + std::string(format) + ": cannot open " + path.string());
  auto named = [&](Result<ParsedPrices> r) -> Result<ParsedPrices> {
    if (r) return r;
    Error e = r.error();
    e.message = path.filename().string() + ": " + e.message;
    return e;
  };
  if (format == "aws-offer") {
    return named(parseAwsOfferFile(in, AwsOfferOptions{sourceId, options.asOfUnix, options.region}));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (format == "aws-spot-feed") return named(parseAwsSpotFeed(text, sourceId, options.asOfUnix));
  if (format == "aws-advisor") return named(parseAwsSpotAdvisor(text, sourceId, options.asOfUnix));
  if (format == "aws-spot-history") return named(parseAwsSpotPriceHistory(text, options.region, sourceId));
  if (format == "gcp-billing") return named(parseGcpBilling(text, sourceId, options.asOfUnix));
  const std::int64_t now = options.nowUnix != 0 ? options.nowUnix
                                                : std::chrono::duration_cast<std::chrono::seconds>(
                                                      std::chrono::system_clock::now().time_since_epoch()).count();
  auto parsed = parseAzureRetail(text, now, sourceId);
  if (parsed && options.asOfUnix != 0) {
    for (auto& r : parsed->records) r.asOfUnix = options.asOfUnix;
  }
  return named(std::move(parsed));
}

}  // namespace spotwise::pricing::sources
