#include "core/http/HttpClient.h"

#include <algorithm>
#include <cctype>

#include "core/common/Numbers.h"

namespace spotwise::http {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::ranges::equal(a, b, [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

ErrorCode codeForStatus(int status) {
  switch (status) {
    case 400: return ErrorCode::InvalidArgument;
    case 401: return ErrorCode::Unauthenticated;
    case 403: return ErrorCode::PermissionDenied;
    case 404: return ErrorCode::NotFound;
    case 408: return ErrorCode::DeadlineExceeded;
    case 409:
    case 412: return ErrorCode::FailedPrecondition;
    case 429: return ErrorCode::ResourceExhausted;
    default: break;
  }
  if (status >= 500) return ErrorCode::Unavailable;
  if (status >= 400) return ErrorCode::InvalidArgument;
  return ErrorCode::Internal;
}

// A short, single-line excerpt of a body for an error message.
std::string excerpt(std::string_view body) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (char c : body.substr(0, kMax)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (body.size() > kMax) out += "…";
  return out;
}

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<Error> errorFromResponse(std::string_view operation, const Response& response) {
  if (response.status >= 200 && response.status < 300) return std::nullopt;
  Error error = makeError(codeForStatus(response.status), std::string(operation) + ": HTTP " +
                                                              std::to_string(response.status) +
                                                              (response.body.empty() ? "" : ": " + excerpt(response.body)));
  error.httpStatus = response.status;
  if (auto retryAfter = response.header("Retry-After")) {
    // Delay-seconds form only; an HTTP-date Retry-After is rare on these APIs and is ignored.
    if (auto seconds = parseDouble(*retryAfter); seconds && *seconds >= 0 && *seconds < 24 * 3600) {
      error.retryAfter = std::chrono::milliseconds(static_cast<long long>(*seconds * 1000));
    }
  }
  return error;
}

std::string redactedUrl(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto scheme = url.find("://");
  const std::size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
  const auto at = url.find('@', authority);
  if (at == std::string_view::npos || at > url.find('/', authority)) return std::string(url);
  return std::string(url.substr(0, authority)) + std::string(url.substr(at + 1));
}

}  // namespace spotwise::http
