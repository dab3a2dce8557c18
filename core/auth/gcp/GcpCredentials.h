#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/common/Result.h"

/**
 * GCP credential files: service-account keys and the gcloud application-default-credentials
 * (ADC) file, and the RS256 JWT-bearer assertion a service account exchanges for a token.
 * Pure functions over text and files; thread-safe.
 */
namespace spotwise::auth::gcp {

inline constexpr std::string_view kDefaultTokenUri = "https://oauth2.googleapis.com/token";
inline constexpr std::string_view kCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

/** A service-account key JSON ("type": "service_account"). */
struct ServiceAccountKey {
  std::string projectId;
  std::string privateKeyId;
  std::string privateKey;  ///< PEM (PKCS#8), RSA
  std::string clientEmail;
  std::string clientId;
  std::string tokenUri = std::string(kDefaultTokenUri);
};

/** An authorized-user ADC file ("type": "authorized_user", written by gcloud auth application-default login). */
struct AuthorizedUser {
  std::string clientId;
  std::string clientSecret;
  std::string refreshToken;
  std::string quotaProjectId;
  std::string tokenUri = std::string(kDefaultTokenUri);
};

using GcpCredentials = std::variant<ServiceAccountKey, AuthorizedUser>;

/**
 * Parses a service-account key. `source` (a file name) prefixes every error. InvalidArgument when
 * the text is not JSON (with the line), the type is not service_account, a required field
 * (client_email, private_key, private_key_id) is missing, or the private key is not an RSA PEM.
 */
Result<ServiceAccountKey> parseServiceAccountKey(std::string_view json, std::string_view source);

/** Parses either kind of credentials file (by its "type"); errors as parseServiceAccountKey. */
Result<GcpCredentials> parseCredentialsFile(std::string_view json, std::string_view source);

/** Reads and parses a credentials file; NotFound when it does not exist. */
Result<GcpCredentials> loadCredentialsFile(const std::filesystem::path& path);

/** Environment lookup (getenv by default), injected for tests. */
using Environment = std::function<std::optional<std::string>(const std::string&)>;
Environment processEnvironment();

/**
 * Application default credentials, in the order google-auth uses: the file named by
 * GOOGLE_APPLICATION_CREDENTIALS (an error if it is set but unreadable), then gcloud's ADC file
 * ($CLOUDSDK_CONFIG or ~/.config/gcloud, application_default_credentials.json). NotFound when
 * neither exists. `path` receives the file used.
 */
Result<GcpCredentials> loadApplicationDefaultCredentials(const Environment& env,
                                                          std::filesystem::path* path = nullptr);

/** The claims of a JWT-bearer assertion (RFC 7523). */
struct AssertionClaims {
  std::string issuer;    ///< the service account's email
  std::string scope;     ///< space-separated scopes
  std::string audience;  ///< the token endpoint
  std::int64_t issuedAt = 0;
  std::int64_t expiresAt = 0;
};

/**
 * The RS256 JWT-bearer assertion for `key`: header {"alg":"RS256","typ":"JWT","kid":private_key_id},
 * claims iss/scope/aud (the key's token_uri)/iat/exp. `nowUnix` is backdated by 30 s so that a
 * clock slightly ahead of Google's is still accepted; the lifetime is one hour.
 */
Result<std::string> makeAssertion(const ServiceAccountKey& key, const std::vector<std::string>& scopes,
                                  std::int64_t nowUnix);

/** Decodes an assertion's claims (for tests and diagnostics); InvalidArgument if malformed. */
Result<AssertionClaims> decodeAssertionClaims(std::string_view jwt);

/** The API key for the Cloud Billing Catalog, from SPOTWISE_GCP_API_KEY; NotFound when unset. */
Result<std::string> loadBillingApiKey(const Environment& env);

}  // namespace spotwise::auth::gcp
