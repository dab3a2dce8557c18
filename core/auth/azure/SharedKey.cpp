#include "core/auth/azure/SharedKey.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <initializer_list>
#include <map>
#include <utility>
#include <vector>

#include "core/auth/Crypto.h"
#include "core/auth/Url.h"
#include "core/common/Log.h"

namespace spotwise::auth::azure {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string httpDate(std::int64_t unixSeconds) {
  const auto t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

std::int64_t now(std::int64_t fixed, std::int64_t skew) {
  if (fixed != 0) return fixed;
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + skew;
}

Result<std::string> decodedKey(const StorageAccountKey& key, std::string_view operation) {
  if (key.account.empty()) return makeError(ErrorCode::InvalidArgument, std::string(operation) + ": no storage account name");
  auto bytes = base64Decode(key.key);
  if (!bytes || bytes->empty())
    return makeError(ErrorCode::InvalidArgument, std::string(operation) + ": the key of storage account '" + key.account +
                                                     "' is not base64 (copy key1 or key2 from the portal)");
  return bytes;
}

std::string signBase64(const std::string& key, const std::string& stringToSign) {
  return base64Encode(hmacSha256(key, stringToSign));
}

// Query values as the Azure SDKs write them (quote(value, safe='/')).
std::string sasEncode(std::string_view value) { return uriEncode(value, true); }

Result<void> checkPermissions(std::string_view permissions, std::string_view allowed, std::string_view operation) {
  if (permissions.empty()) return makeError(ErrorCode::InvalidArgument, std::string(operation) + ": no permissions given");
  for (char c : permissions)
    if (allowed.find(c) == std::string_view::npos)
      return makeError(ErrorCode::InvalidArgument, std::string(operation) + ": unknown permission '" + std::string(1, c) +
                                                       "' (allowed: " + std::string(allowed) + ")");
  return {};
}

// Permissions must be sent in the canonical order or the service refuses the signature.
std::string canonicalPermissions(std::string_view permissions, std::string_view order) {
  std::string out;
  for (char c : order)
    if (permissions.find(c) != std::string_view::npos) out.push_back(c);
  return out;
}

Result<void> checkTimes(std::optional<std::int64_t> start, std::int64_t expiry, std::string_view operation) {
  if (expiry <= 0) return makeError(ErrorCode::InvalidArgument, std::string(operation) + ": no expiry given");
  if (start && *start >= expiry)
    return makeError(ErrorCode::InvalidArgument, std::string(operation) + ": the expiry is not after the start");
  return {};
}

// The fields every SAS signs and carries, as they are signed and sent.
struct SasFields {
  std::string permissions;
  std::string start;
  std::string expiry;
  std::string ipRange;
  std::string protocol;
  std::string version;
};

// Checks and writes out the fields ServiceSasOptions and AccountSasOptions share; `order` is the
// kind's permission letters in their canonical order.
template <typename Options>
Result<SasFields> sasFields(const Options& options, std::string_view order, std::string_view operation) {
  if (auto ok = checkPermissions(options.permissions, order, operation); !ok) return ok.error();
  if (auto ok = checkTimes(options.startUnix, options.expiryUnix, operation); !ok) return ok.error();
  return SasFields{canonicalPermissions(options.permissions, order),
                   options.startUnix ? sasTime(*options.startUnix) : "",
                   sasTime(options.expiryUnix),
                   options.ipRange,
                   options.httpsOnly ? "https" : "",
                   options.version};
}

// Signs `stringToSign` and writes the SAS query: the shared fields, then `extra` in order, then
// the signature; empty values are left out.
std::string signedSasQuery(const std::string& secret, std::string stringToSign, const SasFields& fields,
                           std::initializer_list<std::pair<std::string_view, std::string_view>> extra,
                           std::string* stringToSignOut) {
  const std::string signature = signBase64(secret, stringToSign);
  registerSecret(signature);  // a SAS is a bearer credential: redacted wherever it would be logged
  std::string out;
  auto add = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out += (out.empty() ? "" : "&") + std::string(name) + '=' + sasEncode(value);
  };
  add("st", fields.start);
  add("se", fields.expiry);
  add("sp", fields.permissions);
  add("sip", fields.ipRange);
  add("spr", fields.protocol);
  add("sv", fields.version);
  for (const auto& [name, value] : extra) add(name, value);
  add("sig", signature);
  if (stringToSignOut) *stringToSignOut = std::move(stringToSign);
  return out;
}

}  // namespace

std::string sasTime(std::int64_t unixSeconds) {
  const auto t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buffer, length};
}

StorageAccountKey emulatorAccount() {
  return {"devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="};
}

Result<void> signSharedKey(http::Request& request, const StorageAccountKey& key, const SharedKeyOptions& options,
                           std::string* stringToSignOut) {
  auto secret = decodedKey(key, "SharedKey");
  if (!secret) return secret.error();
  auto url = parseUrl(request.url);
  if (!url) return makeError(ErrorCode::InvalidArgument, "SharedKey: " + url.error().message);

  auto& headers = request.headers;
  std::erase_if(headers, [](const auto& h) { return lower(h.first) == "authorization" || lower(h.first) == "x-ms-date"; });
  headers.emplace_back("x-ms-date", httpDate(now(options.nowUnix, options.clockSkewSeconds)));
  if (std::none_of(headers.begin(), headers.end(), [](const auto& h) { return lower(h.first) == "x-ms-version"; }))
    headers.emplace_back("x-ms-version", options.version);

  auto value = [&](std::string_view name) -> std::string {
    for (const auto& [n, v] : headers)
      if (lower(n) == name) return trim(v);
    return {};
  };
  std::string contentLength = value("content-length");
  if (contentLength.empty() && !request.body.empty()) contentLength = std::to_string(request.body.size());
  if (contentLength == "0") contentLength.clear();

  std::string stringToSign = request.method + '\n' + value("content-encoding") + '\n' + value("content-language") + '\n' +
                             contentLength + '\n' + value("content-md5") + '\n' + value("content-type") + '\n' +
                             value("date") + '\n' + value("if-modified-since") + '\n' + value("if-match") + '\n' +
                             value("if-none-match") + '\n' + value("if-unmodified-since") + '\n' + value("range") + '\n';
  std::map<std::string, std::string> msHeaders;
  for (const auto& [n, v] : headers) {
    const std::string name = lower(n);
    if (name.starts_with("x-ms-")) {
      auto [it, inserted] = msHeaders.try_emplace(name, trim(v));
      if (!inserted) it->second += "," + trim(v);
    }
  }
  for (const auto& [n, v] : msHeaders) stringToSign += n + ':' + v + '\n';
  stringToSign += '/' + key.account + (url->path.empty() ? "/" : url->path);
  std::map<std::string, std::vector<std::string>> query;
  for (const auto& [n, v] : splitQuery(url->query)) query[lower(uriDecode(n))].push_back(uriDecode(v));
  for (auto& [n, values] : query) {
    std::sort(values.begin(), values.end());
    stringToSign += '\n' + n + ':';
    for (std::size_t i = 0; i < values.size(); ++i) stringToSign += (i ? "," : "") + values[i];
  }
  headers.emplace_back("Authorization", "SharedKey " + key.account + ':' + signBase64(*secret, stringToSign));
  if (stringToSignOut) *stringToSignOut = std::move(stringToSign);
  return {};
}

Result<std::string> makeServiceSas(const StorageAccountKey& key, const ServiceSasOptions& options,
                                   std::string* stringToSignOut) {
  constexpr std::string_view kOperation = "service SAS";
  auto secret = decodedKey(key, kOperation);
  if (!secret) return secret.error();
  if (options.container.empty()) return makeError(ErrorCode::InvalidArgument, "service SAS: no container given");
  if (options.resource != SasResource::Container && options.blob.empty())
    return makeError(ErrorCode::InvalidArgument, options.resource == SasResource::Blob ? "service SAS: no blob name given"
                                                                                        : "service SAS: no directory given");
  auto fields = sasFields(options, "racwdxyltmeop", kOperation);
  if (!fields) return fields.error();

  std::string resource = "/blob/" + key.account + '/' + options.container;
  std::string sr = "c";
  std::string depth;
  if (options.resource == SasResource::Blob) {
    resource += '/' + options.blob;
    sr = "b";
  } else if (options.resource == SasResource::Directory) {
    std::string dir = options.blob;
    while (!dir.empty() && dir.back() == '/') dir.pop_back();
    resource += '/' + dir;
    sr = "d";
    depth = std::to_string(1 + std::count(dir.begin(), dir.end(), '/'));
  }
  // Version 2020-12-06 and later: ... signedSnapshotTime, signedEncryptionScope, then the five rsc* overrides.
  std::string stringToSign = fields->permissions + '\n' + fields->start + '\n' + fields->expiry + '\n' + resource +
                             '\n' + options.identifier + '\n' + fields->ipRange + '\n' + fields->protocol + '\n' +
                             fields->version + '\n' + sr + '\n' + "" + '\n' + "" + '\n' + "\n\n\n\n";
  return signedSasQuery(*secret, std::move(stringToSign), *fields,
                        {{"sr", sr}, {"sdd", depth}, {"si", options.identifier}}, stringToSignOut);
}

Result<std::string> makeAccountSas(const StorageAccountKey& key, const AccountSasOptions& options,
                                   std::string* stringToSignOut) {
  constexpr std::string_view kOperation = "account SAS";
  auto secret = decodedKey(key, kOperation);
  if (!secret) return secret.error();
  auto fields = sasFields(options, "rwdxylacuptfi", kOperation);
  if (!fields) return fields.error();
  if (options.services.empty() || options.resourceTypes.empty())
    return makeError(ErrorCode::InvalidArgument, "account SAS: services and resource types must not be empty");
  std::string stringToSign = key.account + '\n' + fields->permissions + '\n' + options.services + '\n' +
                             options.resourceTypes + '\n' + fields->start + '\n' + fields->expiry + '\n' +
                             fields->ipRange + '\n' + fields->protocol + '\n' + fields->version + '\n' + "" + '\n';
  return signedSasQuery(*secret, std::move(stringToSign), *fields,
                        {{"ss", options.services}, {"srt", options.resourceTypes}}, stringToSignOut);
}

}  // namespace spotwise::auth::azure
