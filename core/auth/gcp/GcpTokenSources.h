#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/auth/TokenSource.h"
#include "core/auth/gcp/GcpCredentials.h"
#include "core/http/HttpClient.h"

namespace spotwise::auth::gcp {

struct TokenSourceOptions {
  /** A cached token is refreshed this long before it expires. */
  std::int64_t refreshMarginSeconds = 300;
  UnixClock clock = systemUnixNow;
};

/**
 * Service-account tokens: signs an RS256 JWT-bearer assertion and exchanges it at the key's
 * token_uri through `client` (which must outlive this object). Thread-safe; concurrent callers
 * share one exchange. Errors: see TokenSource::accessToken; "GCP token exchange at URL: ...".
 */
class ServiceAccountTokenSource final : public TokenSource {
 public:
  ServiceAccountTokenSource(ServiceAccountKey key, std::vector<std::string> scopes, http::HttpClient& client,
                            TokenSourceOptions options = {});
  Result<std::string> accessToken(const std::stop_token& stop) override;
  void invalidate(std::string_view refused) override;
  [[nodiscard]] const ServiceAccountKey& key() const { return m_key; }

 private:
  ServiceAccountKey m_key;
  std::vector<std::string> m_scopes;
  http::HttpClient& m_client;
  TokenSourceOptions m_options;
  std::mutex m_mutex;
  std::optional<CachedToken> m_cached;
};

/** Authorized-user ADC tokens: the OAuth refresh-token grant at the file's token_uri. Thread-safe. */
class AuthorizedUserTokenSource final : public TokenSource {
 public:
  AuthorizedUserTokenSource(AuthorizedUser user, http::HttpClient& client, TokenSourceOptions options = {});
  Result<std::string> accessToken(const std::stop_token& stop) override;
  void invalidate(std::string_view refused) override;

 private:
  AuthorizedUser m_user;
  http::HttpClient& m_client;
  TokenSourceOptions m_options;
  std::mutex m_mutex;
  std::optional<CachedToken> m_cached;
};

/** The token source for loaded credentials of either kind. */
std::unique_ptr<TokenSource> makeTokenSource(const GcpCredentials& credentials, std::vector<std::string> scopes,
                                             http::HttpClient& client, TokenSourceOptions options = {});

}  // namespace spotwise::auth::gcp
