#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spotwise::cloud {

/** Standard base64 (RFC 4648 §4) with padding. */
std::string base64Encode(std::string_view bytes);
/** Decodes standard base64 (padding required, no whitespace); nullopt when malformed. */
std::optional<std::string> base64Decode(std::string_view text);

/**
 * Percent-encodes every byte outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~). With
 * `keepSlash`, '/' is left as is (object keys in URL paths).
 */
std::string percentEncode(std::string_view text, bool keepSlash = false);

/** Ordered name=value pairs of a query string or form body. */
using QueryParams = std::vector<std::pair<std::string, std::string>>;

/** "a=1&b=x%20y": names and values percent-encoded, in the given order. */
std::string formEncode(const QueryParams& params);

/** Lower-case hex of the bytes. */
std::string hexEncode(std::string_view bytes);

}  // namespace spotwise::cloud
