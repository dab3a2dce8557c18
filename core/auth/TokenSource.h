#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/common/Result.h"
#include "core/http/HttpClient.h"

namespace spotwise::auth {

/** Unix seconds now; injected so that token caches can be tested without waiting. */
using UnixClock = std::function<std::int64_t()>;
/** The system clock in Unix seconds. */
std::int64_t systemUnixNow();

/**
 * A source of OAuth 2.0 bearer tokens (GCP service account / authorized user, Azure AD).
 * Implementations cache the token until shortly before it expires and are thread-safe: concurrent
 * callers share one refresh.
 */
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  /**
   * A valid access token, fetched or refreshed when needed. Errors name the operation and the
   * endpoint: Unauthenticated (401, invalid_grant, invalid_client), PermissionDenied (403),
   * Unavailable/DeadlineExceeded (transport), Cancelled (stop requested), DataLoss (bad answer).
   */
  virtual Result<std::string> accessToken(const std::stop_token& stop) = 0;
  /**
   * The service refused `token` (401: revoked, expired early, clock off): drop it from the cache
   * so that the next accessToken() fetches a new one. A cached token that is not `refused` (another
   * caller already refreshed) is kept.
   */
  virtual void invalidate(std::string_view refused) = 0;
};

/**
 * The AuthRecovery of a bearer-token API (see core/cloud/ApiCall.h): on a 401, drops `usedToken`
 * from `tokens` and asks for one resend with a fresh token. False for anything else.
 */
bool dropRefusedToken(TokenSource& tokens, int httpStatus, const std::string& usedToken);

/** A token and when it stops being valid. */
struct CachedToken {
  std::string value;
  std::int64_t expiresAtUnix = 0;
};

/**
 * POSTs an application/x-www-form-urlencoded body to an OAuth 2.0 token endpoint and reads
 * `access_token` / `expires_in`. Maps OAuth error answers ({"error": "invalid_grant",
 * "error_description": ...}) and HTTP statuses to Errors that say `operation` and the endpoint,
 * never the secret that was sent.
 */
Result<CachedToken> exchangeToken(http::HttpClient& client, std::string_view operation, const std::string& tokenUrl,
                                  const std::string& formBody, const std::stop_token& stop, std::int64_t nowUnix);

/** application/x-www-form-urlencoded encoding of one value. */
std::string formEncode(std::string_view value);

}  // namespace spotwise::auth
