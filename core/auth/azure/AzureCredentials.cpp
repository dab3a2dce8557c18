#include "core/auth/azure/AzureCredentials.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/auth/Crypto.h"
#include "core/auth/Jwt.h"
#include "core/auth/Url.h"
#include "core/common/Log.h"

namespace spotwise::auth::azure {

Result<ServicePrincipal> servicePrincipalFromEnvironment(const Environment& environment) {
  // A variable set to "" (`export AZURE_CLIENT_SECRET=`) counts as not set, as in the Azure SDKs.
  const auto env = [&environment](const std::string& name) -> std::optional<std::string> {
    auto value = environment(name);
    if (value && value->empty()) return std::nullopt;
    return value;
  };
  ServicePrincipal principal;
  const auto tenant = env("AZURE_TENANT_ID");
  const auto client = env("AZURE_CLIENT_ID");
  const auto secret = env("AZURE_CLIENT_SECRET");
  const auto certificate = env("AZURE_CLIENT_CERTIFICATE_PATH");
  if (!tenant && !client && !secret && !certificate)
    return makeError(ErrorCode::NotFound, "Azure credentials: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET "
                                          "(or AZURE_CLIENT_CERTIFICATE_PATH) are not set");
  if (!tenant) return makeError(ErrorCode::InvalidArgument, "Azure credentials: AZURE_TENANT_ID is not set");
  if (!client) return makeError(ErrorCode::InvalidArgument, "Azure credentials: AZURE_CLIENT_ID is not set");
  if (!secret && !certificate)
    return makeError(ErrorCode::InvalidArgument,
                     "Azure credentials: neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is set");
  principal.tenantId = *tenant;
  principal.clientId = *client;
  if (secret) {
    principal.clientSecret = *secret;
    registerSecret(*secret);
  }
  if (certificate) principal.clientCertificatePath = *certificate;
  if (auto subscription = env("AZURE_SUBSCRIPTION_ID")) principal.subscriptionId = *subscription;
  if (auto host = env("AZURE_AUTHORITY_HOST")) {
    principal.authorityHost = *host;
    while (!principal.authorityHost.empty() && principal.authorityHost.back() == '/') principal.authorityHost.pop_back();
    if (!parseUrl(principal.authorityHost))
      return makeError(ErrorCode::InvalidArgument, "Azure credentials: AZURE_AUTHORITY_HOST '" + principal.authorityHost +
                                                       "' is not an http(s) URL");
  }
  return principal;
}

Result<ClientCertificate> parseClientCertificate(std::string_view pem, std::string_view source) {
  const std::string where = "Azure client certificate " + std::string(source);
  if (pem.find("-----BEGIN") == std::string_view::npos)
    return makeError(ErrorCode::InvalidArgument, where + ": not a PEM file (convert a .pfx with `openssl pkcs12 -nodes`)");
  const auto certBegin = pem.find("-----BEGIN CERTIFICATE-----");
  if (certBegin == std::string_view::npos)
    return makeError(ErrorCode::InvalidArgument, where + ": no CERTIFICATE block");
  const auto certEnd = pem.find("-----END CERTIFICATE-----", certBegin);
  if (certEnd == std::string_view::npos) return makeError(ErrorCode::InvalidArgument, where + ": unterminated CERTIFICATE block");
  if (pem.find("ENCRYPTED PRIVATE KEY") != std::string_view::npos)
    return makeError(ErrorCode::InvalidArgument, where + ": the private key is encrypted (export it without a passphrase)");
  if (pem.find("PRIVATE KEY-----") == std::string_view::npos)
    return makeError(ErrorCode::InvalidArgument, where + ": no PRIVATE KEY block");
  ClientCertificate out;
  out.certificatePem = std::string(pem.substr(certBegin, certEnd + 25 - certBegin)) + "\n";
  out.privateKeyPem = std::string(pem);  // OpenSSL skips the certificate block when reading the key
  auto probe = rsaSha256Sign(out.privateKeyPem, "probe");
  if (!probe) return makeError(ErrorCode::InvalidArgument, where + ": " + probe.error().message.substr(7));
  auto der = certificateDer(out.certificatePem);
  if (!der) return makeError(ErrorCode::InvalidArgument, where + ": " + der.error().message);
  out.x5t = base64UrlEncode(sha1(*der));
  return out;
}

Result<ClientCertificate> loadClientCertificate(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorCode::NotFound, "Azure client certificate " + path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parseClientCertificate(text.str(), path);
}

Result<std::string> makeClientAssertion(const ClientCertificate& certificate, const std::string& clientId,
                                        const std::string& endpoint, std::int64_t nowUnix) {
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", certificate.x5t}};
  const nlohmann::json claims = {{"aud", endpoint},       {"iss", clientId},          {"sub", clientId},
                                 {"jti", hexEncode(randomBytes(16))}, {"nbf", nowUnix - 30}, {"iat", nowUnix - 30},
                                 {"exp", nowUnix + 600}};
  return signJwtRs256(header.dump(), claims.dump(), certificate.privateKeyPem);
}

std::string tokenEndpoint(const ServicePrincipal& principal) {
  return principal.authorityHost + "/" + principal.tenantId + "/oauth2/v2.0/token";
}

ClientSecretTokenSource::ClientSecretTokenSource(ServicePrincipal principal, http::HttpClient& client,
                                                 AzureTokenOptions options)
    : m_principal(std::move(principal)), m_client(client), m_options(std::move(options)) {}

Result<std::string> ClientSecretTokenSource::accessToken(const std::stop_token& stop) {
  std::lock_guard lock(m_mutex);
  const std::int64_t now = m_options.clock();
  if (m_cached && now < m_cached->expiresAtUnix - m_options.refreshMarginSeconds) return m_cached->value;
  const std::string endpoint = tokenEndpoint(m_principal);
  std::string body = "grant_type=client_credentials&client_id=" + formEncode(m_principal.clientId) +
                     "&scope=" + formEncode(m_options.scope);
  if (!m_principal.clientSecret.empty()) {
    body += "&client_secret=" + formEncode(m_principal.clientSecret);
  } else if (!m_principal.clientCertificatePath.empty()) {
    if (!m_certificate) {
      auto certificate = loadClientCertificate(m_principal.clientCertificatePath);
      if (!certificate) return certificate.error();
      m_certificate = std::move(*certificate);
    }
    auto assertion = makeClientAssertion(*m_certificate, m_principal.clientId, endpoint, now);
    if (!assertion) return assertion.error();
    body += "&client_assertion_type=" + formEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
            "&client_assertion=" + formEncode(*assertion);
  } else {
    return makeError(ErrorCode::InvalidArgument, "Azure AD token for client " + m_principal.clientId +
                                                     ": neither a client secret nor a certificate is configured");
  }
  auto token = exchangeToken(m_client, "Azure AD token for client " + m_principal.clientId, endpoint, body, stop, now);
  if (!token) return token.error();
  m_cached = std::move(*token);
  return m_cached->value;
}

void ClientSecretTokenSource::invalidate(std::string_view refused) {
  std::lock_guard lock(m_mutex);
  if (m_cached && m_cached->value == refused) m_cached.reset();
}

}  // namespace spotwise::auth::azure
