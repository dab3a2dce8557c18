#include "core/http/CurlHttpClient.h"

#include <strings.h>
#include <algorithm>

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace spotwise::http {

namespace {

enum class Abort { None, Cancelled, Stalled, TooLarge, ConsumerStopped };

struct Transfer {
  const Request* request = nullptr;
  Response response;
  Abort abort = Abort::None;
  std::uint64_t received = 0;
  std::chrono::steady_clock::time_point lastByte = std::chrono::steady_clock::now();
  bool inHeaders = true;
};

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  t->received += n;
  t->lastByte = std::chrono::steady_clock::now();
  if (t->request->onData) {
    if (!t->request->onData(std::string_view(data, n))) {
      t->abort = Abort::ConsumerStopped;
      return 0;
    }
    return n;
  }
  if (t->request->maxBodyBytes != 0 && t->response.body.size() + n > t->request->maxBodyBytes) {
    t->abort = Abort::TooLarge;
    return 0;
  }
  t->response.body.append(data, n);
  return n;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (e.g. after 100 Continue): keep only the last
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  t->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return n;
}

int onProgress(void* user, curl_off_t dlTotal, curl_off_t dlNow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->stop.stop_requested()) {
    t->abort = Abort::Cancelled;
    return 1;
  }
  if (std::chrono::steady_clock::now() - t->lastByte > t->request->stallTimeout) {
    t->abort = Abort::Stalled;
    return 1;
  }
  if (t->request->onProgress && dlNow > 0) {
    t->request->onProgress(static_cast<std::uint64_t>(dlNow), static_cast<std::uint64_t>(dlTotal));
  }
  return 0;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};

Error transferError(const Request& request, CURLcode code, const Transfer& t, const char* detail) {
  const std::string where = request.method + " " + request.url.substr(0, request.url.find('?')) + ": ";
  switch (t.abort) {
    case Abort::Cancelled: return makeError(ErrorCode::Cancelled, where + "cancelled");
    case Abort::Stalled:
      return makeError(ErrorCode::DeadlineExceeded,
                       where + "no data for " + std::to_string(request.stallTimeout.count()) + " ms (stalled)");
    case Abort::TooLarge:
      return makeError(ErrorCode::DataLoss,
                       where + "response body larger than " + std::to_string(request.maxBodyBytes) + " bytes");
    case Abort::ConsumerStopped: return makeError(ErrorCode::Cancelled, where + "stopped by the reader");
    case Abort::None: break;
  }
  const std::string message = where + (detail && *detail ? detail : curl_easy_strerror(code));
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return makeError(ErrorCode::DeadlineExceeded, message);
    case CURLE_PARTIAL_FILE: return makeError(ErrorCode::DataLoss, message + " (body truncated)");
    case CURLE_BAD_CONTENT_ENCODING: return makeError(ErrorCode::DataLoss, message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return makeError(ErrorCode::InvalidArgument, message);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE: return makeError(ErrorCode::FailedPrecondition, message);
    default: return makeError(ErrorCode::Unavailable, message);
  }
}

}  // namespace

CurlHttpClient::CurlHttpClient() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<Response> CurlHttpClient::send(const Request& request) {
  if (request.stop.stop_requested()) return makeError(ErrorCode::Cancelled, request.method + " " + request.url + ": cancelled");
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return makeError(ErrorCode::Internal, "curl_easy_init failed");
  CURL* h = easy.get();

  Transfer transfer;
  transfer.request = &request;
  char errorBuffer[CURL_ERROR_SIZE] = {};

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    // "Name;" sends a header with an empty value; "Name:" would remove it.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // libcurl adds "Expect: 100-continue" to large uploads; signed requests must send only what was signed.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  // Nor its default "Content-Type: application/x-www-form-urlencoded" for bodies: Azure SharedKey
  // signs Content-Type, so a header the caller did not set must not appear.
  const bool hasContentType = std::any_of(request.headers.begin(), request.headers.end(), [](const auto& header) {
    return header.first.size() == 12 && strncasecmp(header.first.c_str(), "content-type", 12) == 0;
  });
  if (!hasContentType) headers.reset(curl_slist_append(headers.release(), "Content-Type:"));

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  // Send the path as signed: S3 keys may contain "." and ".." segments that curl would squash.
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errorBuffer);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(request.timeout, std::chrono::milliseconds(10000)).count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");

  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
  }

  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) return transferError(request, code, transfer, errorBuffer);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  transfer.response.status = static_cast<int>(status);
  return std::move(transfer.response);
}

}  // namespace spotwise::http
