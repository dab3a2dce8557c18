#include "core/auth/ClockSkew.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/auth/aws/SigV4.h"

namespace spotwise::auth {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool contains(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

}  // namespace

std::optional<std::int64_t> clockOffsetFromDate(const http::Response& response, std::int64_t localNowUnix) {
  for (const auto& [name, value] : response.headers) {
    if (!iequals(name, "Date")) continue;
    std::string trimmed = value;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) trimmed.pop_back();
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) trimmed.erase(0, 1);
    if (auto serverNow = aws::parseHttpDate(trimmed)) return *serverNow - localNowUnix;
  }
  return std::nullopt;
}

bool ClockSkew::learn(const http::Response& response, std::int64_t localNowUnix,
                      const std::function<bool(const http::Response&)>& isSkewError) {
  if (!isSkewError || !isSkewError(response)) return false;
  const auto offset = clockOffsetFromDate(response, localNowUnix);
  if (!offset || *offset == seconds()) return false;
  set(*offset);
  return true;
}

bool isAwsClockSkewError(const http::Response& response) {
  if (response.status != 400 && response.status != 401 && response.status != 403) return false;
  const std::string& body = response.body;
  return contains(body, "RequestTimeTooSkewed") || contains(body, "RequestExpired") ||
         contains(body, "Signature expired") || contains(body, "Signature not yet current") ||
         ((contains(body, "SignatureDoesNotMatch") || contains(body, "InvalidSignatureException")) &&
          contains(body, "time"));
}

bool isAzureClockSkewError(const http::Response& response) {
  if (response.status != 403) return false;
  const std::string& body = response.body;
  return contains(body, "AuthenticationFailed") &&
         (contains(body, "Request date header too old") ||
          (contains(body, "Request date header") && contains(body, "future")));
}

}  // namespace spotwise::auth
