#include "core/auth/aws/SigV4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <string_view>
#include <vector>

#include "core/auth/ClockSkew.h"
#include "core/auth/Crypto.h"
#include "core/auth/Url.h"

namespace spotwise::auth::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

void removeHeader(http::Headers& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

bool hasHeader(const http::Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

// Trim and collapse every run of whitespace (folded lines included) to one space, like botocore.
std::string canonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pendingSpace = false;
  for (unsigned char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace) out.push_back(' ');
    pendingSpace = false;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

// Not signed: they may be changed by proxies or the HTTP stack (the set botocore and aws-c-auth skip).
bool skippedHeader(std::string_view lowerName) {
  return lowerName == "user-agent" || lowerName == "expect" || lowerName == "x-amzn-trace-id" ||
         lowerName == "authorization";
}

// RFC 3986 dot-segment removal with empty segments dropped (botocore's remove_dot_segments).
std::string normalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (path.back() == '/' && !segments.empty()) out += '/';
  return out;
}

std::string canonicalUri(std::string_view path, bool normalize) {
  if (normalize) return uriEncode(normalizePath(path), true);
  if (path.empty()) return "/";
  // Segment by segment, so that an encoded slash inside a key (%2F) stays encoded.
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto end = path.find('/', start);
    out += uriEncode(uriDecode(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
    if (end == std::string_view::npos) break;
    out += '/';
    start = end + 1;
  }
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string canonicalQuery(Pairs pairs) {
  for (auto& [name, value] : pairs) {
    name = uriEncode(uriDecode(name));
    value = uriEncode(uriDecode(value));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;   ///< "name:value\n" lines
  std::string signedNames;
};

CanonicalHeaders canonicalHeaders(const http::Headers& headers) {
  std::map<std::string, std::string> byName;
  for (const auto& [name, value] : headers) {
    std::string key = lower(canonicalHeaderValue(name));
    if (skippedHeader(key)) continue;
    auto [it, inserted] = byName.try_emplace(key, canonicalHeaderValue(value));
    if (!inserted) {
      it->second += ',';
      it->second += canonicalHeaderValue(value);
    }
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : byName) {
    out.block += name + ':' + value + '\n';
    if (!out.signedNames.empty()) out.signedNames += ';';
    out.signedNames += name;
  }
  return out;
}

Result<void> validate(const AwsCredentials& credentials, const SigV4Options& options) {
  if (credentials.accessKeyId.empty())
    return makeError(ErrorCode::InvalidArgument, "SigV4: the access key id is empty");
  if (credentials.secretAccessKey.empty())
    return makeError(ErrorCode::InvalidArgument, "SigV4: the secret access key is empty");
  if (options.region.empty()) return makeError(ErrorCode::InvalidArgument, "SigV4: no region given");
  if (options.service.empty()) return makeError(ErrorCode::InvalidArgument, "SigV4: no service given");
  return {};
}

std::int64_t signingTime(const SigV4Options& options) {
  if (options.nowUnix != 0) return options.nowUnix;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return now.count() + options.clockSkewSeconds;
}

struct Signed {
  std::string signature;
  std::string credentialScope;
};

Signed sign(const std::string& canonicalRequest, const AwsCredentials& credentials,
            const SigV4Options& options, const std::string& timestamp, SigV4Trace* trace) {
  const std::string date = timestamp.substr(0, 8);
  Signed out;
  out.credentialScope = date + '/' + options.region + '/' + options.service + "/aws4_request";
  std::string stringToSign = std::string(kAlgorithm) + '\n' + timestamp + '\n' + out.credentialScope +
                             '\n' + sha256Hex(canonicalRequest);
  const std::string key = deriveSigningKey(credentials.secretAccessKey, date, options.region, options.service);
  out.signature = hexEncode(hmacSha256(key, stringToSign));
  if (trace) {
    trace->canonicalRequest = canonicalRequest;
    trace->stringToSign = std::move(stringToSign);
    trace->signature = out.signature;
  }
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

std::string deriveSigningKey(std::string_view secretAccessKey, std::string_view date,
                             std::string_view region, std::string_view service) {
  const std::string kDate = hmacSha256("AWS4" + std::string(secretAccessKey), date);
  const std::string kRegion = hmacSha256(kDate, region);
  const std::string kService = hmacSha256(kRegion, service);
  return hmacSha256(kService, "aws4_request");
}

std::string amzDate(std::int64_t unixSeconds) {
  const auto t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &tm);
  return {buffer, length};
}

Result<void> signRequest(http::Request& request, const AwsCredentials& credentials,
                         const SigV4Options& options, SigV4Trace* trace) {
  if (auto valid = validate(credentials, options); !valid) return valid.error();
  auto url = parseUrl(request.url);
  if (!url) return makeError(ErrorCode::InvalidArgument, "SigV4: " + url.error().message);
  const bool normalize = options.normalizePath.value_or(!options.s3);
  const bool contentHeader = options.contentSha256Header.value_or(options.s3) || options.unsignedPayload;
  const std::string timestamp = amzDate(signingTime(options));

  removeHeader(request.headers, "Authorization");
  removeHeader(request.headers, "X-Amz-Date");
  if (!hasHeader(request.headers, "Host")) request.headers.emplace_back("Host", url->hostHeader());
  request.headers.emplace_back("X-Amz-Date", timestamp);
  if (!credentials.sessionToken.empty()) {
    removeHeader(request.headers, "X-Amz-Security-Token");
    if (options.signSessionToken) request.headers.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  }

  // A caller-provided x-amz-content-sha256 (a precomputed hash, STREAMING-...) is what S3 checks.
  std::string payloadHash;
  for (const auto& [name, value] : request.headers)
    if (iequals(name, "x-amz-content-sha256")) payloadHash = canonicalHeaderValue(value);
  if (payloadHash.empty()) {
    payloadHash = options.unsignedPayload ? std::string(kUnsignedPayload) : sha256Hex(request.body);
    if (contentHeader) request.headers.emplace_back("x-amz-content-sha256", payloadHash);
  }

  const CanonicalHeaders headers = canonicalHeaders(request.headers);
  const std::string canonicalRequest = upper(request.method) + '\n' + canonicalUri(url->path, normalize) + '\n' +
                                       canonicalQuery(splitQuery(url->query)) + '\n' + headers.block + '\n' +
                                       headers.signedNames + '\n' + payloadHash;
  const Signed result = sign(canonicalRequest, credentials, options, timestamp, trace);
  request.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + credentials.accessKeyId + '/' +
                           result.credentialScope + ", SignedHeaders=" + headers.signedNames +
                           ", Signature=" + result.signature);
  if (!credentials.sessionToken.empty() && !options.signSessionToken)
    request.headers.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  return {};
}

Result<std::string> presignUrl(const http::Request& request, const AwsCredentials& credentials,
                               const SigV4Options& options, std::chrono::seconds expires, SigV4Trace* trace) {
  if (auto valid = validate(credentials, options); !valid) return valid.error();
  if (expires.count() < 1 || expires.count() > 604800)
    return makeError(ErrorCode::InvalidArgument,
                     "SigV4: presigned URL expiry must be 1 to 604800 seconds, got " + std::to_string(expires.count()));
  auto url = parseUrl(request.url);
  if (!url) return makeError(ErrorCode::InvalidArgument, "SigV4: " + url.error().message);
  const bool normalize = options.normalizePath.value_or(!options.s3);
  const std::string timestamp = amzDate(signingTime(options));

  http::Headers headers = request.headers;
  removeHeader(headers, "Authorization");
  if (!hasHeader(headers, "Host")) headers.emplace_back("Host", url->hostHeader());
  const CanonicalHeaders canonical = canonicalHeaders(headers);

  const std::string scope = timestamp.substr(0, 8) + '/' + options.region + '/' + options.service + "/aws4_request";
  Pairs added = {
      {"X-Amz-Algorithm", std::string(kAlgorithm)},
      {"X-Amz-Credential", uriEncode(credentials.accessKeyId + '/' + scope)},
      {"X-Amz-Date", timestamp},
      {"X-Amz-Expires", std::to_string(expires.count())},
      {"X-Amz-SignedHeaders", uriEncode(canonical.signedNames)},
  };
  const bool tokenSigned = !credentials.sessionToken.empty() && options.signSessionToken;
  if (tokenSigned) added.emplace_back("X-Amz-Security-Token", uriEncode(credentials.sessionToken));

  Pairs all = splitQuery(url->query);
  std::erase_if(all, [](const auto& p) { return iequals(p.first, "X-Amz-Signature"); });
  all.insert(all.end(), added.begin(), added.end());

  const std::string payloadHash = (options.s3 || options.unsignedPayload) ? std::string(kUnsignedPayload)
                                                                          : sha256Hex(request.body);
  const std::string canonicalRequest = upper(request.method) + '\n' + canonicalUri(url->path, normalize) + '\n' +
                                       canonicalQuery(all) + '\n' + canonical.block + '\n' +
                                       canonical.signedNames + '\n' + payloadHash;
  const Signed result = sign(canonicalRequest, credentials, options, timestamp, trace);

  std::string out = url->origin() + (url->path.empty() ? "/" : url->path) + '?';
  if (!url->query.empty()) out += url->query + '&';
  for (const auto& [name, value] : added) out += name + '=' + value + '&';
  out += "X-Amz-Signature=" + result.signature;
  if (!credentials.sessionToken.empty() && !options.signSessionToken)
    out += "&X-Amz-Security-Token=" + uriEncode(credentials.sessionToken);
  return out;
}

std::optional<std::int64_t> parseHttpDate(std::string_view text) {
  // IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"), which every AWS/Azure/GCP server sends.
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto comma = text.find(", ");
  if (comma == std::string_view::npos) return std::nullopt;
  const std::string_view rest = text.substr(comma + 2);
  if (rest.size() < 24 || rest.substr(rest.size() - 3) != "GMT") return std::nullopt;
  auto number = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int value = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return std::nullopt;
      value = value * 10 + (rest[i] - '0');
    }
    return value;
  };
  const auto day = number(0, 2);
  const std::string_view monthName = rest.substr(3, 3);
  const auto year = number(7, 4);
  const auto hour = number(12, 2);
  const auto minute = number(15, 2);
  const auto second = number(18, 2);
  int month = -1;
  for (int i = 0; i < 12; ++i)
    if (kMonths[i] == monthName) month = i;
  if (!day || !year || !hour || !minute || !second || month < 0 || rest[2] != ' ' || rest[6] != ' ' ||
      rest[11] != ' ' || rest[14] != ':' || rest[17] != ':')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::optional<std::int64_t> clockSkewFromResponse(const http::Response& response, std::int64_t localNowUnix) {
  if (!isAwsClockSkewError(response)) return std::nullopt;
  return clockOffsetFromDate(response, localNowUnix);
}

}  // namespace spotwise::auth::aws
