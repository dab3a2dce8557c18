#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spotwise {

/** Parses "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss[.fff]Z" (UTC) to Unix seconds; nullopt if malformed. */
std::optional<std::int64_t> parseIso8601Utc(std::string_view text);
/** "YYYY-MM-DDThh:mm:ssZ". */
std::string formatIso8601Utc(std::int64_t unixSeconds);
/** "YYYY-MM-DD". */
std::string formatIsoDateUtc(std::int64_t unixSeconds);

}  // namespace spotwise
