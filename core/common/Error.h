#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace spotwise {

/** Canonical error categories, shared by every core module (google-cloud-cpp's StatusCode). */
enum class ErrorCode {
  InvalidArgument,    ///< the caller's input is wrong (bad file, bad field, bad spec)
  NotFound,
  PermissionDenied,
  Unauthenticated,
  ResourceExhausted,  ///< quota, no capacity, rate limit
  FailedPrecondition,
  Unavailable,        ///< transient: the same call may work later
  DeadlineExceeded,
  Cancelled,
  DataLoss,           ///< truncated or corrupt data
  Internal,
};

/** Stable lower-case name of a code, e.g. "invalid-argument" (for logs and --json output). */
std::string_view errorCodeName(ErrorCode code);

/**
 * What went wrong, for whom: a code, a message that names the operation ("ImportSkyPilot: ..."),
 * and where known the provider's HTTP status and error code.
 * Value type; thread-compatible.
 */
struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  std::optional<int> httpStatus;
  std::string providerCode;                          ///< e.g. "InsufficientInstanceCapacity"
  std::optional<std::chrono::milliseconds> retryAfter; ///< the provider's Retry-After, when given

  /** "invalid-argument: ImportSkyPilot: ..." */
  [[nodiscard]] std::string toString() const;
};

inline Error makeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message), std::nullopt, {}, std::nullopt};
}

/**
 * Whether retrying the same call may succeed: the one place this is decided.
 * Unavailable, DeadlineExceeded and ResourceExhausted with an HTTP 429 (rate limit) are transient;
 * everything else (including capacity errors, which need another zone or offer) is not.
 */
bool isTransient(const Error& error);

}  // namespace spotwise
