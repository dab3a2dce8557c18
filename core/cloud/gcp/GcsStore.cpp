#include "core/cloud/gcp/GcsStore.h"

#include <nlohmann/json.hpp>

#include "core/cloud/FileParts.h"
#include "core/cloud/Encoding.h"
#include "core/cloud/gcp/GceApi.h"
#include "core/common/Time.h"

namespace spotwise::cloud::gcp {

namespace {

using nlohmann::json;

ObjectInfo fromJson(const json& j) {
  ObjectInfo info;
  info.key = j.value("name", "");
  info.size = std::stoull("0" + j.value("size", "0"));
  info.etag = j.value("etag", "");
  info.modifiedUnix = parseIso8601Utc(j.value("updated", "").substr(0, 19) + "Z").value_or(0);
  return info;
}

/** The end of the confirmed range of a 308 ("bytes=0-262143"), or -1 when nothing is stored yet. */
std::int64_t confirmedEnd(const http::Response& response) {
  const auto range = response.header("Range");
  if (!range) return -1;
  const auto dash = range->find('-');
  if (dash == std::string::npos) return -1;
  return std::stoll(range->substr(dash + 1));
}

}  // namespace

GcsStore::GcsStore(GcsSettings settings, Transport transport) : m_settings(std::move(settings)), m_transport(transport) {}

std::string GcsStore::objectUrl(std::string_view key) const {
  return m_settings.endpoint + "/storage/v1/b/" + percentEncode(m_settings.bucket) + "/o/" + percentEncode(key);
}

Result<http::Request> GcsStore::authorized(std::string& usedToken, std::string method, std::string url, std::string body,
                                           http::Headers headers, const CallOptions& options) const {
  if (!m_settings.tokens) return makeError(ErrorCode::FailedPrecondition, "Cloud Storage: no GCP credentials");
  auto token = m_settings.tokens->accessToken(options.stop);
  if (!token) return token.error();
  usedToken = *token;
  http::Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.headers = std::move(headers);
  request.headers.emplace_back("Authorization", "Bearer " + *token);
  if (request.method != "GET" && request.method != "HEAD") {
    bool hasType = false;
    for (const auto& h : request.headers) hasType = hasType || h.first == "Content-Type";
    if (!hasType) request.headers.emplace_back("Content-Type", "application/octet-stream");
  }
  request.body = std::move(body);
  return request;
}

Result<http::Response> GcsStore::call(std::string_view operation, std::string method, std::string url, std::string body,
                                      http::Headers headers, const CallOptions& options,
                                      std::function<bool(std::string_view)> onData, std::function<void()> onAttempt) {
  if (m_settings.bucket.empty()) return makeError(ErrorCode::FailedPrecondition, std::string(operation) + ": no bucket");
  std::string usedToken;
  return callWithRetry(
      m_transport, operation, http::Idempotency::Idempotent, options,
      [&]() -> Result<http::Request> {
        if (onAttempt) onAttempt();
        auto request = authorized(usedToken, method, url, body, headers, options);
        if (request && onData) {
          request->onData = onData;
          request->maxBodyBytes = 0;
        }
        return request;
      },
      gceError, onData ? ResponseCheck{} : ResponseCheck{requireJson}, {},
      [&](const http::Response& response, const Error&) {
        return auth::dropRefusedToken(*m_settings.tokens, response.status, usedToken);
      });
}

Result<void> GcsStore::put(std::string_view key, std::string_view bytes, const CallOptions& options) {
  const std::string url = m_settings.endpoint + "/upload/storage/v1/b/" + percentEncode(m_settings.bucket) +
                          "/o?uploadType=media&name=" + percentEncode(key);
  auto response = call("objects.insert", "POST", url, std::string(bytes), {}, options);
  if (!response) return response.error();
  return {};
}

Result<void> GcsStore::putFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return makeError(ErrorCode::NotFound, "objects.insert: cannot read " + file.string() + ": " + ec.message());
  if (size <= m_settings.resumableThreshold) {
    auto bytes = readFileRange("objects.insert", file, 0, size);
    if (!bytes) return bytes.error();
    return put(key, *bytes, options);
  }
  constexpr std::uint64_t kQuantum = 256ull * 1024;
  const std::uint64_t chunk = std::max<std::uint64_t>(kQuantum, m_settings.chunkSize / kQuantum * kQuantum);
  const std::string start = m_settings.endpoint + "/upload/storage/v1/b/" + percentEncode(m_settings.bucket) +
                            "/o?uploadType=resumable&name=" + percentEncode(key);
  auto session = call("objects.insert (resumable)", "POST", start, "{}",
                      {{"Content-Type", "application/json"}, {"X-Upload-Content-Length", std::to_string(size)}}, options);
  if (!session) return session.error();
  const auto sessionUrl = session->header("Location");
  if (!sessionUrl) return makeError(ErrorCode::Unavailable, "objects.insert (resumable): no session URI in the answer");
  const std::string total = std::to_string(size);
  std::uint64_t offset = 0;
  for (int chunks = 0; chunks < 1000000; ++chunks) {
    int attempt = 0;
    bool askStatus = false;
    std::string usedToken;
    auto response = callWithRetry(
        m_transport, "objects.insert (chunk)", http::Idempotency::Idempotent, options,
        [&]() -> Result<http::Request> {
          // After a failed try, ask the server how much it has before sending again.
          if (++attempt > 1) askStatus = true;
          if (askStatus)
            return authorized(usedToken, "PUT", *sessionUrl, "", {{"Content-Range", "bytes */" + total}}, options);
          const std::uint64_t length = std::min(chunk, size - offset);
          auto bytes = readFileRange("objects.insert", file, offset, length);
          if (!bytes) return bytes.error();
          return authorized(usedToken, "PUT", *sessionUrl, std::move(*bytes),
                            {{"Content-Range", "bytes " + std::to_string(offset) + "-" +
                                                   std::to_string(offset + length - 1) + "/" + total}},
                            options);
        },
        gceError, {}, [](int status) { return status == 308; },
        [&](const http::Response& r, const Error&) { return auth::dropRefusedToken(*m_settings.tokens, r.status, usedToken); });
    if (!response) return response.error();
    if (response->status != 308) return {};  // 200/201: the object is complete
    offset = static_cast<std::uint64_t>(confirmedEnd(*response) + 1);
  }
  return makeError(ErrorCode::Internal, "objects.insert (resumable): too many chunks");
}

Result<std::string> GcsStore::get(std::string_view key, const CallOptions& options) {
  std::string body;
  auto media = call("objects.get", "GET", objectUrl(key) + "?alt=media", "", {}, options,
                    [&](std::string_view chunk) {
                      body.append(chunk);
                      return true;
                    },
                    [&] { body.clear(); });
  if (!media) return media.error();
  return body;
}

Result<void> GcsStore::getFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) {
  return downloadToFile("objects.get", file, [&](auto onData, auto onAttempt) {
    return call("objects.get", "GET", objectUrl(key) + "?alt=media", "", {}, options, std::move(onData),
                std::move(onAttempt));
  });
}

Result<ObjectInfo> GcsStore::head(std::string_view key, const CallOptions& options) {
  auto response = call("objects.get", "GET", objectUrl(key), "", {}, options);
  if (!response) return response.error();
  try {
    return fromJson(json::parse(response->body));
  } catch (const json::exception& e) {
    return makeError(ErrorCode::Unavailable, std::string("objects.get: ") + e.what());
  }
}

Result<std::vector<ObjectInfo>> GcsStore::list(std::string_view prefix, const CallOptions& options) {
  std::vector<ObjectInfo> out;
  std::string token;
  for (int pages = 0; pages < 100000; ++pages) {
    std::string url = m_settings.endpoint + "/storage/v1/b/" + percentEncode(m_settings.bucket) +
                      "/o?prefix=" + percentEncode(prefix);
    if (!token.empty()) url += "&pageToken=" + percentEncode(token);
    auto response = call("objects.list", "GET", url, "", {}, options);
    if (!response) return response.error();
    try {
      const auto j = json::parse(response->body);
      for (const auto& item : j.value("items", json::array())) out.push_back(fromJson(item));
      const std::string next = j.value("nextPageToken", "");
      if (next.empty() || next == token) return out;
      token = next;
    } catch (const json::exception& e) {
      return makeError(ErrorCode::Unavailable, std::string("objects.list: ") + e.what());
    }
  }
  return makeError(ErrorCode::Internal, "objects.list: too many pages");
}

Result<void> GcsStore::remove(std::string_view key, const CallOptions& options) {
  auto response = call("objects.delete", "DELETE", objectUrl(key), "", {}, options);
  if (!response && response.error().code != ErrorCode::NotFound) return response.error();
  return {};
}

}  // namespace spotwise::cloud::gcp
