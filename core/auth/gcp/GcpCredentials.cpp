#include "core/auth/gcp/GcpCredentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/auth/Crypto.h"
#include "core/auth/Jwt.h"
#include "core/common/Log.h"

namespace spotwise::auth::gcp {
namespace {

Error invalid(std::string_view source, const std::string& what) {
  return makeError(ErrorCode::InvalidArgument, "GCP credentials " + std::string(source) + ": " + what);
}

int lineOf(std::string_view text, std::size_t offset) {
  int line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

Result<nlohmann::json> parseObject(std::string_view json, std::string_view source) {
  try {
    nlohmann::json doc = nlohmann::json::parse(json);
    if (!doc.is_object()) return invalid(source, "not a JSON object");
    return doc;
  } catch (const nlohmann::json::parse_error& e) {
    return invalid(source, "not valid JSON (line " + std::to_string(lineOf(json, e.byte == 0 ? 0 : e.byte - 1)) + ")");
  } catch (const nlohmann::json::exception&) {  // out_of_range: a number such as 1e999
    return invalid(source, "not valid JSON (a number is out of range)");
  }
}

Result<std::string> requiredString(const nlohmann::json& doc, const char* field, std::string_view source) {
  if (!doc.contains(field)) return invalid(source, std::string("no \"") + field + "\" field");
  if (!doc[field].is_string() || doc[field].get<std::string>().empty())
    return invalid(source, std::string("\"") + field + "\" is not a non-empty string");
  return doc[field].get<std::string>();
}

std::string optionalString(const nlohmann::json& doc, const char* field, std::string fallback = {}) {
  if (doc.contains(field) && doc[field].is_string() && !doc[field].get<std::string>().empty())
    return doc[field].get<std::string>();
  return fallback;
}

Result<ServiceAccountKey> fromServiceAccountJson(const nlohmann::json& doc, std::string_view source) {
  ServiceAccountKey key;
  auto email = requiredString(doc, "client_email", source);
  if (!email) return email.error();
  auto pem = requiredString(doc, "private_key", source);
  if (!pem) return pem.error();
  auto keyId = requiredString(doc, "private_key_id", source);
  if (!keyId) return keyId.error();
  key.clientEmail = *email;
  key.privateKey = *pem;
  key.privateKeyId = *keyId;
  key.projectId = optionalString(doc, "project_id");
  key.clientId = optionalString(doc, "client_id");
  key.tokenUri = optionalString(doc, "token_uri", std::string(kDefaultTokenUri));
  // Prove the key is usable now rather than at the first token exchange.
  auto probe = rsaSha256Sign(key.privateKey, "probe");
  if (!probe) return invalid(source, "\"private_key\": " + probe.error().message.substr(std::string("RS256: ").size()));
  return key;
}

}  // namespace

Result<ServiceAccountKey> parseServiceAccountKey(std::string_view json, std::string_view source) {
  auto doc = parseObject(json, source);
  if (!doc) return doc.error();
  const std::string type = optionalString(*doc, "type");
  if (type != "service_account")
    return invalid(source, "\"type\" is '" + type + "', expected 'service_account'");
  return fromServiceAccountJson(*doc, source);
}

Result<GcpCredentials> parseCredentialsFile(std::string_view json, std::string_view source) {
  auto doc = parseObject(json, source);
  if (!doc) return doc.error();
  const std::string type = optionalString(*doc, "type");
  if (type == "service_account") {
    auto key = fromServiceAccountJson(*doc, source);
    if (!key) return key.error();
    return GcpCredentials{std::move(*key)};
  }
  if (type == "authorized_user") {
    AuthorizedUser user;
    for (auto [field, target] : {std::pair{"client_id", &user.clientId}, std::pair{"client_secret", &user.clientSecret},
                                 std::pair{"refresh_token", &user.refreshToken}}) {
      auto value = requiredString(*doc, field, source);
      if (!value) return value.error();
      *target = *value;
    }
    user.quotaProjectId = optionalString(*doc, "quota_project_id");
    registerSecret(user.clientSecret);
    registerSecret(user.refreshToken);
    user.tokenUri = optionalString(*doc, "token_uri", std::string(kDefaultTokenUri));
    return GcpCredentials{std::move(user)};
  }
  if (type.empty()) return invalid(source, "no \"type\" field (expected service_account or authorized_user)");
  return invalid(source, "unsupported credentials type '" + type + "' (expected service_account or authorized_user)");
}

Result<GcpCredentials> loadCredentialsFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(ErrorCode::NotFound, "GCP credentials " + path.string() + ": cannot be read (missing or not permitted)");
  std::ostringstream text;
  text << in.rdbuf();
  return parseCredentialsFile(text.str(), path.string());
}

Environment processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
}

Result<GcpCredentials> loadApplicationDefaultCredentials(const Environment& env, std::filesystem::path* usedPath) {
  if (auto explicitPath = env("GOOGLE_APPLICATION_CREDENTIALS")) {
    if (usedPath) *usedPath = *explicitPath;
    auto loaded = loadCredentialsFile(*explicitPath);
    if (!loaded && loaded.error().code == ErrorCode::NotFound) {
      Error error = loaded.error();
      error.message += " (named by GOOGLE_APPLICATION_CREDENTIALS)";
      return error;
    }
    return loaded;
  }
  std::filesystem::path dir;
  if (auto config = env("CLOUDSDK_CONFIG")) dir = *config;
  else if (auto home = env("HOME")) dir = std::filesystem::path(*home) / ".config/gcloud";
  else return makeError(ErrorCode::NotFound, "GCP credentials: neither GOOGLE_APPLICATION_CREDENTIALS nor HOME is set");
  const auto path = dir / "application_default_credentials.json";
  if (usedPath) *usedPath = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return makeError(ErrorCode::NotFound, "GCP credentials: GOOGLE_APPLICATION_CREDENTIALS is not set and " +
                                              path.string() + " does not exist (run `gcloud auth application-default login` or import a key)");
  return loadCredentialsFile(path);
}

Result<std::string> makeAssertion(const ServiceAccountKey& key, const std::vector<std::string>& scopes,
                                  std::int64_t nowUnix) {
  std::string scope;
  for (const auto& s : scopes) scope += (scope.empty() ? "" : " ") + s;
  if (scope.empty()) scope = std::string(kCloudPlatformScope);
  const std::int64_t issuedAt = nowUnix - 30;
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", key.privateKeyId}};
  const nlohmann::json claims = {{"iss", key.clientEmail}, {"scope", scope}, {"aud", key.tokenUri},
                                 {"iat", issuedAt}, {"exp", issuedAt + 3600}};
  auto jwt = signJwtRs256(header.dump(), claims.dump(), key.privateKey);
  if (!jwt) {
    Error error = jwt.error();
    error.message = "GCP assertion for " + key.clientEmail + ": " + error.message;
    return error;
  }
  return jwt;
}

Result<AssertionClaims> decodeAssertionClaims(std::string_view jwt) {
  auto decoded = decodeJwt(jwt);
  if (!decoded) return decoded.error();
  const nlohmann::json claims = nlohmann::json::parse(decoded->payloadJson, nullptr, false);
  if (!claims.is_object()) return makeError(ErrorCode::InvalidArgument, "JWT: the payload is not a JSON object");
  AssertionClaims out;
  out.issuer = claims.value("iss", "");
  out.scope = claims.value("scope", "");
  out.audience = claims.value("aud", "");
  out.issuedAt = claims.value("iat", std::int64_t{0});
  out.expiresAt = claims.value("exp", std::int64_t{0});
  return out;
}

Result<std::string> loadBillingApiKey(const Environment& env) {
  if (auto key = env("SPOTWISE_GCP_API_KEY")) return *key;
  return makeError(ErrorCode::NotFound, "GCP Billing Catalog: SPOTWISE_GCP_API_KEY is not set and no API key is stored");
}

}  // namespace spotwise::auth::gcp
