#include "core/auth/Url.h"

#include <algorithm>
#include <cctype>

#include "core/http/HttpClient.h"

namespace spotwise::auth {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string UrlParts::hostHeader() const {
  if (port.empty() || (scheme == "https" && port == "443") || (scheme == "http" && port == "80")) return host;
  return host + ":" + port;
}

std::string UrlParts::origin() const {
  return scheme + "://" + host + (port.empty() ? "" : ":" + port);
}

Result<UrlParts> parseUrl(std::string_view url) {
  UrlParts parts;
  const auto schemeEnd = url.find("://");
  if (schemeEnd == std::string_view::npos)
    return makeError(ErrorCode::InvalidArgument, "URL: '" + http::redactedUrl(url).substr(0, 80) + "' is not absolute (no scheme://)");
  parts.scheme = lower(url.substr(0, schemeEnd));
  if (parts.scheme != "http" && parts.scheme != "https")
    return makeError(ErrorCode::InvalidArgument, "URL: unsupported scheme '" + parts.scheme + "' (http or https)");
  std::string_view rest = url.substr(schemeEnd + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto authorityEnd = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authorityEnd);
  rest = authorityEnd == std::string_view::npos ? std::string_view{} : rest.substr(authorityEnd);
  if (authority.find('@') != std::string_view::npos)
    return makeError(ErrorCode::InvalidArgument, "URL: credentials in the URL are not supported");
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return makeError(ErrorCode::InvalidArgument, "URL: unterminated IPv6 host");
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return makeError(ErrorCode::InvalidArgument, "URL: malformed host");
      parts.port = std::string(authority.substr(close + 2));
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    parts.port = std::string(authority.substr(colon + 1));
  }
  if (host.empty()) return makeError(ErrorCode::InvalidArgument, "URL: no host");
  if (!std::all_of(parts.port.begin(), parts.port.end(), [](unsigned char c) { return std::isdigit(c); }))
    return makeError(ErrorCode::InvalidArgument, "URL: port '" + parts.port + "' is not a number");
  parts.host = lower(host);
  const auto question = rest.find('?');
  parts.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) {
    parts.hasQuery = true;
    parts.query = std::string(rest.substr(question + 1));
  }
  return parts;
}

std::string uriEncode(std::string_view text, bool keepSlash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0x0F]);
    }
  }
  return out;
}

std::string uriDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 && hexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> splitQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view piece = query.substr(start, end - start);
    if (!piece.empty()) {
      const auto eq = piece.find('=');
      if (eq == std::string_view::npos) out.emplace_back(std::string(piece), std::string());
      else out.emplace_back(std::string(piece.substr(0, eq)), std::string(piece.substr(eq + 1)));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace spotwise::auth
