#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>

#include "core/http/HttpClient.h"

namespace spotwise::auth {

/**
 * The offset between our clock and a service's, learned from the service's `Date` header when it
 * refuses a request for its time (AWS RequestTimeTooSkewed / "Signature expired", Azure Storage
 * "Request date header too old"). Signers add seconds() to the system clock. One object per
 * service endpoint, shared by every call to it; thread-safe.
 */
class ClockSkew {
 public:
  [[nodiscard]] std::int64_t seconds() const { return m_seconds.load(std::memory_order_relaxed); }
  void set(std::int64_t seconds) { m_seconds.store(seconds, std::memory_order_relaxed); }

  /**
   * When `isSkewError(response)` says the service refused our time and the response has a
   * parseable `Date`, stores serverDate - localNowUnix and returns true (the caller then signs
   * again and retries once); false otherwise (nothing learned, nothing changed). A learned offset
   * equal to the one already in use returns false too: retrying would be refused again.
   */
  bool learn(const http::Response& response, std::int64_t localNowUnix,
             const std::function<bool(const http::Response&)>& isSkewError);

 private:
  std::atomic<std::int64_t> m_seconds{0};
};

/** serverDate - localNowUnix from the response's `Date` header; nullopt when absent or malformed. */
std::optional<std::int64_t> clockOffsetFromDate(const http::Response& response, std::int64_t localNowUnix);

/** Whether an AWS error answer means our clock is off (see aws::clockSkewFromResponse). */
bool isAwsClockSkewError(const http::Response& response);

/**
 * Whether an Azure Storage error answer means our x-ms-date is outside the 15 minutes the service
 * allows: 403 AuthenticationFailed with AuthenticationErrorDetail "Request date header too old"
 * (or one in the future).
 */
bool isAzureClockSkewError(const http::Response& response);

}  // namespace spotwise::auth
