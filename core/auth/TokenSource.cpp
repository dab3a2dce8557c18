#include "core/auth/TokenSource.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "core/auth/Url.h"
#include "core/common/Log.h"

namespace spotwise::auth {

std::int64_t systemUnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string formEncode(std::string_view value) { return uriEncode(value); }

bool dropRefusedToken(TokenSource& tokens, int httpStatus, const std::string& usedToken) {
  if (httpStatus != 401 || usedToken.empty()) return false;
  tokens.invalidate(usedToken);
  return true;
}

Result<CachedToken> exchangeToken(http::HttpClient& client, std::string_view operation, const std::string& tokenUrl,
                                  const std::string& formBody, const std::stop_token& stop, std::int64_t nowUnix) {
  const std::string op = std::string(operation) + " at " + tokenUrl;
  if (stop.stop_requested()) return makeError(ErrorCode::Cancelled, op + ": cancelled");
  http::Request request;
  request.method = "POST";
  request.url = tokenUrl;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  request.body = formBody;
  request.timeout = std::chrono::seconds(30);
  request.maxBodyBytes = 1024ull * 1024;
  request.stop = stop;
  auto response = client.send(request);
  if (!response) {
    Error error = response.error();
    error.message = op + ": " + error.message;
    return error;
  }
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status < 200 || response->status >= 300) {
    std::string detail;
    std::string oauthError;
    if (body.is_object()) {
      if (body.contains("error") && body["error"].is_string()) oauthError = body["error"].get<std::string>();
      if (body.contains("error_description") && body["error_description"].is_string())
        detail = body["error_description"].get<std::string>();
    }
    // The description of Azure AD errors has a trace id and timestamp after the first line.
    if (const auto newline = detail.find_first_of("\r\n"); newline != std::string::npos) detail.resize(newline);
    if (detail.size() > 300) detail.resize(300);
    ErrorCode code = ErrorCode::Unavailable;
    if (response->status == 400 || response->status == 401) code = ErrorCode::Unauthenticated;
    else if (response->status == 403) code = ErrorCode::PermissionDenied;
    else if (response->status == 404) code = ErrorCode::NotFound;
    else if (response->status == 429) code = ErrorCode::ResourceExhausted;
    else if (response->status < 500) code = ErrorCode::InvalidArgument;
    std::string message = op + ": HTTP " + std::to_string(response->status);
    if (!oauthError.empty()) message += ", " + oauthError;
    if (!detail.empty()) message += ": " + detail;
    Error error = makeError(code, message);
    error.httpStatus = response->status;
    error.providerCode = oauthError;
    return error;
  }
  // An empty access_token is no token either (found by AzureEnvironmentFuzzer).
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
      body["access_token"].get_ref<const std::string&>().empty())
    return makeError(ErrorCode::DataLoss, op + ": the answer has no access_token");
  CachedToken token;
  token.value = body["access_token"].get<std::string>();
  registerSecret(token.value);
  std::int64_t expiresIn = 3600;
  if (body.contains("expires_in")) {
    // Azure AD sends numbers as strings on some endpoints.
    if (body["expires_in"].is_number_integer()) expiresIn = body["expires_in"].get<std::int64_t>();
    else if (body["expires_in"].is_string()) expiresIn = std::strtoll(body["expires_in"].get<std::string>().c_str(), nullptr, 10);
  }
  if (expiresIn <= 0) return makeError(ErrorCode::DataLoss, op + ": the token is already expired (expires_in " + std::to_string(expiresIn) + ")");
  // Access tokens live an hour or so; a larger claim (or one that would overflow) is held to a day.
  constexpr std::int64_t kMaxLifetimeSeconds = std::int64_t{24} * 3600;
  token.expiresAtUnix = nowUnix + std::min(expiresIn, kMaxLifetimeSeconds);
  return token;
}

}  // namespace spotwise::auth
