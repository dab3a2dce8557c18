#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "core/auth/TokenSource.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"

/**
 * Azure AD (Microsoft Entra ID) service-principal credentials and the OAuth 2.0
 * client-credentials flow (with a client secret, or a certificate-signed JWT assertion carrying
 * `x5t`), for Azure Resource Manager (`https://management.azure.com/.default`).
 */
namespace spotwise::auth::azure {

inline constexpr std::string_view kDefaultAuthorityHost = "https://login.microsoftonline.com";
inline constexpr std::string_view kManagementScope = "https://management.azure.com/.default";

/** A service principal, as the Azure CLI/SDK environment variables describe it. */
struct ServicePrincipal {
  std::string tenantId;
  std::string clientId;
  std::string clientSecret;           ///< either this …
  std::string clientCertificatePath;  ///< … or a PEM file holding the certificate and its RSA private key
  std::string subscriptionId;         ///< not a secret
  std::string authorityHost = std::string(kDefaultAuthorityHost);
};

/** Environment lookup, injected for tests. */
using Environment = std::function<std::optional<std::string>(const std::string&)>;

/**
 * Reads AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH,
 * AZURE_SUBSCRIPTION_ID and AZURE_AUTHORITY_HOST; a variable set to "" counts as not set. NotFound
 * when none is set; InvalidArgument naming the missing variable when the set is incomplete.
 */
Result<ServicePrincipal> servicePrincipalFromEnvironment(const Environment& env);

/** A PEM client certificate: its key, its DER thumbprint (base64url SHA-1, the JWT `x5t`). */
struct ClientCertificate {
  std::string privateKeyPem;
  std::string certificatePem;
  std::string x5t;
};

/**
 * Loads a PEM file with a certificate and an unencrypted RSA private key. InvalidArgument naming
 * the file when either is missing, the key is not RSA, or the file is PKCS#12 (convert with
 * `openssl pkcs12 -nodes`).
 */
Result<ClientCertificate> loadClientCertificate(const std::string& path);
Result<ClientCertificate> parseClientCertificate(std::string_view pem, std::string_view source);

/** The client assertion JWT for the certificate flow (aud = token endpoint, iss = sub = client id). */
Result<std::string> makeClientAssertion(const ClientCertificate& certificate, const std::string& clientId,
                                        const std::string& tokenEndpoint, std::int64_t nowUnix);

/** "{authorityHost}/{tenant}/oauth2/v2.0/token". */
std::string tokenEndpoint(const ServicePrincipal& principal);

struct AzureTokenOptions {
  std::string scope = std::string(kManagementScope);
  std::int64_t refreshMarginSeconds = 300;
  UnixClock clock = systemUnixNow;
};

/**
 * Client-credentials tokens from Azure AD with a client secret (or, when the principal has a
 * certificate path and no secret, a certificate assertion). Cached until shortly before expiry;
 * thread-safe. Errors: "Azure AD token for client C at URL: HTTP 401, invalid_client: AADSTS7000215: ...".
 */
class ClientSecretTokenSource final : public TokenSource {
 public:
  ClientSecretTokenSource(ServicePrincipal principal, http::HttpClient& client, AzureTokenOptions options = {});
  Result<std::string> accessToken(const std::stop_token& stop) override;
  void invalidate(std::string_view refused) override;

 private:
  ServicePrincipal m_principal;
  http::HttpClient& m_client;
  AzureTokenOptions m_options;
  std::mutex m_mutex;
  std::optional<CachedToken> m_cached;
  std::optional<ClientCertificate> m_certificate;
};

}  // namespace spotwise::auth::azure
