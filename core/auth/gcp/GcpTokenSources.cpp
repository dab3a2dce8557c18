#include "core/auth/gcp/GcpTokenSources.h"

namespace spotwise::auth::gcp {

ServiceAccountTokenSource::ServiceAccountTokenSource(ServiceAccountKey key, std::vector<std::string> scopes,
                                                     http::HttpClient& client, TokenSourceOptions options)
    : m_key(std::move(key)), m_scopes(std::move(scopes)), m_client(client), m_options(std::move(options)) {}

Result<std::string> ServiceAccountTokenSource::accessToken(const std::stop_token& stop) {
  std::lock_guard lock(m_mutex);
  const std::int64_t now = m_options.clock();
  if (m_cached && now < m_cached->expiresAtUnix - m_options.refreshMarginSeconds) return m_cached->value;
  auto assertion = makeAssertion(m_key, m_scopes, now);
  if (!assertion) return assertion.error();
  const std::string body = "grant_type=" + formEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                           "&assertion=" + formEncode(*assertion);
  auto token = exchangeToken(m_client, "GCP token exchange for " + m_key.clientEmail, m_key.tokenUri, body, stop, now);
  if (!token) return token.error();
  m_cached = std::move(*token);
  return m_cached->value;
}

AuthorizedUserTokenSource::AuthorizedUserTokenSource(AuthorizedUser user, http::HttpClient& client,
                                                     TokenSourceOptions options)
    : m_user(std::move(user)), m_client(client), m_options(std::move(options)) {}

Result<std::string> AuthorizedUserTokenSource::accessToken(const std::stop_token& stop) {
  std::lock_guard lock(m_mutex);
  const std::int64_t now = m_options.clock();
  if (m_cached && now < m_cached->expiresAtUnix - m_options.refreshMarginSeconds) return m_cached->value;
  const std::string body = "grant_type=refresh_token&client_id=" + formEncode(m_user.clientId) +
                           "&client_secret=" + formEncode(m_user.clientSecret) +
                           "&refresh_token=" + formEncode(m_user.refreshToken);
  auto token = exchangeToken(m_client, "GCP token refresh (authorized user)", m_user.tokenUri, body, stop, now);
  if (!token) return token.error();
  m_cached = std::move(*token);
  return m_cached->value;
}

void ServiceAccountTokenSource::invalidate(std::string_view refused) {
  std::lock_guard lock(m_mutex);
  if (m_cached && m_cached->value == refused) m_cached.reset();
}

void AuthorizedUserTokenSource::invalidate(std::string_view refused) {
  std::lock_guard lock(m_mutex);
  if (m_cached && m_cached->value == refused) m_cached.reset();
}

std::unique_ptr<TokenSource> makeTokenSource(const GcpCredentials& credentials, std::vector<std::string> scopes,
                                             http::HttpClient& client, TokenSourceOptions options) {
  if (const auto* key = std::get_if<ServiceAccountKey>(&credentials))
    return std::make_unique<ServiceAccountTokenSource>(*key, std::move(scopes), client, std::move(options));
  return std::make_unique<AuthorizedUserTokenSource>(std::get<AuthorizedUser>(credentials), client, std::move(options));
}

}  // namespace spotwise::auth::gcp
