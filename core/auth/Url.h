#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/Result.h"

/** URL pieces and RFC 3986 percent-encoding as the signers need them. Pure functions. */
namespace spotwise::auth {

struct UrlParts {
  std::string scheme;     ///< lower-case "http" or "https"
  std::string host;       ///< as written (lower-cased), IPv6 literals keep their brackets
  std::string port;       ///< empty when absent
  std::string path;       ///< as written (still percent-encoded); may be empty
  std::string query;      ///< without '?'; may be empty
  bool hasQuery = false;  ///< a '?' was present (even with nothing after it)

  /** host[:port], the port left out when it is the scheme's default (what `Host:` carries). */
  [[nodiscard]] std::string hostHeader() const;
  /** scheme://host[:port] as written. */
  [[nodiscard]] std::string origin() const;
};

/** Splits an absolute http(s) URL; the fragment is dropped. InvalidArgument names what is wrong. */
Result<UrlParts> parseUrl(std::string_view url);

/**
 * Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~) and,
 * when `keepSlash`, '/'. Hex digits are upper-case (the AWS and Azure canonical form).
 */
std::string uriEncode(std::string_view text, bool keepSlash = false);
/** Decodes %XX escapes; a '%' not followed by two hex digits is kept literally. '+' stays '+'. */
std::string uriDecode(std::string_view text);

/** Splits "a=1&b&c=" into (name, value) pairs, still encoded, in order; empty pieces skipped. */
std::vector<std::pair<std::string, std::string>> splitQuery(std::string_view query);

}  // namespace spotwise::auth
