#include "core/common/Error.h"

namespace spotwise {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid-argument";
    case ErrorCode::NotFound: return "not-found";
    case ErrorCode::PermissionDenied: return "permission-denied";
    case ErrorCode::Unauthenticated: return "unauthenticated";
    case ErrorCode::ResourceExhausted: return "resource-exhausted";
    case ErrorCode::FailedPrecondition: return "failed-precondition";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::DeadlineExceeded: return "deadline-exceeded";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::DataLoss: return "data-loss";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

bool isTransient(const Error& error) {
  switch (error.code) {
    case ErrorCode::Unavailable:
    case ErrorCode::DeadlineExceeded:
      return true;
    case ErrorCode::ResourceExhausted:
      return error.httpStatus == 429 || error.providerCode == "RequestLimitExceeded" ||
             error.providerCode == "Throttling" || error.providerCode == "SlowDown" ||
             // Google answers rate limits with 403 and the reason in the error body.
             error.providerCode == "rateLimitExceeded" || error.providerCode == "userRateLimitExceeded";
    default:
      return false;
  }
}

std::string Error::toString() const {
  std::string out{errorCodeName(code)};
  out += ": ";
  out += message;
  if (httpStatus) out += " (HTTP " + std::to_string(*httpStatus) + ")";
  if (!providerCode.empty()) out += " [" + providerCode + "]";
  return out;
}

}  // namespace spotwise
