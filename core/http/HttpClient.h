#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/Result.h"

namespace spotwise::http {

/** Header list in order; names compared case-insensitively by `header()`. */
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;              ///< absolute http(s) URL, already percent-encoded
  Headers headers;
  std::string body;
  /** Overall deadline for the call (connect + transfer). */
  std::chrono::milliseconds timeout{30000};
  /** Fails with DeadlineExceeded when no byte arrives for this long (a page that never ends). */
  std::chrono::milliseconds stallTimeout{15000};
  /** Refuse bodies larger than this (DataLoss); 0 = no limit. Ignored when `onData` streams. */
  std::uint64_t maxBodyBytes = 256ull * 1024 * 1024;
  /**
   * Stream the body instead of buffering it: called with each chunk; return false to abort
   * (Cancelled). Response::body is then empty.
   */
  std::function<bool(std::string_view chunk)> onData;
  /** Progress: (bytes received, total bytes or 0 if unknown). */
  std::function<void(std::uint64_t received, std::uint64_t total)> onProgress;
  std::stop_token stop;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;

  /** First value of a header (case-insensitive name), if present. */
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

/**
 * One HTTP exchange. A returned Response may carry any status (4xx/5xx included); an Error means
 * no response: Unavailable (connect/DNS/reset), DeadlineExceeded (timeout/stall), Cancelled (stop
 * token or onData abort), DataLoss (body over maxBodyBytes or truncated).
 * Implementations are thread-safe: one client may serve concurrent calls.
 */
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<Response> send(const Request& request) = 0;
};

/**
 * Maps a non-2xx response to an Error (code from the status: 400 InvalidArgument, 401
 * Unauthenticated, 403 PermissionDenied, 404 NotFound, 409 FailedPrecondition, 429
 * ResourceExhausted, 5xx Unavailable), with `operation` and a short excerpt of the body in the
 * message and `Retry-After` kept. Returns nullopt for 2xx.
 */
std::optional<Error> errorFromResponse(std::string_view operation, const Response& response);

/**
 * `url` as it may appear in a message, a log or a setting: without its query, fragment and
 * user-info, any of which may hold a secret (GCP's `?key=`, an Azure SAS `sig=`, a presigned
 * `X-Amz-Signature`, `user:password@`). Every error text built from a request URL goes through this.
 */
std::string redactedUrl(std::string_view url);

}  // namespace spotwise::http
