#include "core/http/CurlHttpClient.h"

#include <strings.h>
#include <algorithm>

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <string>

#if defined(SPOTWISE_CURL_SONAME)
#include <dlfcn.h>
#endif

namespace spotwise::http {

namespace {

/**
 * The libcurl entry points this client uses. Where SPOTWISE_CURL_SONAME is defined (Linux), libcurl is
 * loaded at the first request (dlopen, its symbols kept local) instead of at process start: it brings
 * some 25 libraries (TLS, Kerberos, LDAP, SSH, IDN...) whose loading and relocation cost the desktop app
 * more start-up time than everything else it does before its first frame, and the app never touches the
 * network at start. Elsewhere the functions are linked as usual.
 */
struct CurlApi {
  decltype(&::curl_global_init) globalInit = nullptr;
  decltype(&::curl_easy_init) easyInit = nullptr;
  decltype(&::curl_easy_setopt) easySetopt = nullptr;
  decltype(&::curl_easy_perform) easyPerform = nullptr;
  decltype(&::curl_easy_getinfo) easyGetinfo = nullptr;
  decltype(&::curl_easy_cleanup) easyCleanup = nullptr;
  decltype(&::curl_easy_strerror) easyStrerror = nullptr;
  decltype(&::curl_slist_append) slistAppend = nullptr;
  decltype(&::curl_slist_free_all) slistFreeAll = nullptr;
  std::string error;  ///< why libcurl is unusable; empty when every function is set
};

#if defined(SPOTWISE_CURL_SONAME)
template <typename Function>
void resolve(void* library, const char* name, Function& into, std::string& error) {
  void* symbol = dlsym(library, name);
  if (!symbol) {
    if (error.empty()) error = std::string("libcurl (") + SPOTWISE_CURL_SONAME + ") lacks " + name;
    return;
  }
  static_assert(sizeof(Function) == sizeof(symbol));
  std::memcpy(&into, &symbol, sizeof(symbol));  // POSIX: a data pointer from dlsym holds the function's address
}
#endif

/** libcurl, loaded and globally initialised once (thread-safe), on first use. */
const CurlApi& curl() {
  static const CurlApi api = [] {
    CurlApi a;
#if defined(SPOTWISE_CURL_SONAME)
    void* library = dlopen(SPOTWISE_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char* why = dlerror();
      a.error = std::string("cannot load libcurl (") + SPOTWISE_CURL_SONAME + "): " + (why ? why : "unknown error");
      return a;
    }
    resolve(library, "curl_global_init", a.globalInit, a.error);
    resolve(library, "curl_easy_init", a.easyInit, a.error);
    resolve(library, "curl_easy_setopt", a.easySetopt, a.error);
    resolve(library, "curl_easy_perform", a.easyPerform, a.error);
    resolve(library, "curl_easy_getinfo", a.easyGetinfo, a.error);
    resolve(library, "curl_easy_cleanup", a.easyCleanup, a.error);
    resolve(library, "curl_easy_strerror", a.easyStrerror, a.error);
    resolve(library, "curl_slist_append", a.slistAppend, a.error);
    resolve(library, "curl_slist_free_all", a.slistFreeAll, a.error);
    if (!a.error.empty()) return a;
#else
    a.globalInit = &::curl_global_init;
    a.easyInit = &::curl_easy_init;
    a.easySetopt = &::curl_easy_setopt;
    a.easyPerform = &::curl_easy_perform;
    a.easyGetinfo = &::curl_easy_getinfo;
    a.easyCleanup = &::curl_easy_cleanup;
    a.easyStrerror = &::curl_easy_strerror;
    a.slistAppend = &::curl_slist_append;
    a.slistFreeAll = &::curl_slist_free_all;
#endif
    if (const CURLcode code = a.globalInit(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
      a.error = std::string("curl_global_init failed: ") + a.easyStrerror(code);
    }
    return a;
  }();
  return api;
}

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

int onProgress(void* user, curl_off_t dlTotal, curl_off_t dlNow, curl_off_t /*ulTotal*/, curl_off_t /*ulNow*/) {
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
  void operator()(curl_slist* list) const { curl().slistFreeAll(list); }
};
struct EasyDeleter {
  void operator()(CURL* easy) const { curl().easyCleanup(easy); }
};

Error transferError(const Request& request, CURLcode code, const Transfer& t, const char* detail) {
  const std::string where = request.method + " " + redactedUrl(request.url) + ": ";
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
  const std::string message = where + (detail && *detail ? detail : curl().easyStrerror(code));
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

// libcurl is loaded and initialised at the first request (curl()), not when a client is made: clients
// are made at start-up (providers, refresh) by code that may never send anything.
CurlHttpClient::CurlHttpClient() = default;

Result<Response> CurlHttpClient::send(const Request& request) {
  // Messages name the request by its redacted URL only: the query may hold a key (GCP's ?key=, a SAS sig=).
  if (request.stop.stop_requested()) return makeError(ErrorCode::Cancelled, request.method + " " + redactedUrl(request.url) + ": cancelled");
  const CurlApi& api = curl();
  if (!api.error.empty()) return makeError(ErrorCode::Unavailable, request.method + " " + redactedUrl(request.url) + ": " + api.error);
  std::unique_ptr<CURL, EasyDeleter> easy(api.easyInit());
  if (!easy) return makeError(ErrorCode::Internal, "curl_easy_init failed");
  CURL* h = easy.get();

  Transfer transfer;
  transfer.request = &request;
  char errorBuffer[CURL_ERROR_SIZE] = {};

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    // "Name;" sends a header with an empty value; "Name:" would remove it.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    headers.reset(api.slistAppend(headers.release(), line.c_str()));
  }
  // libcurl adds "Expect: 100-continue" to large uploads; signed requests must send only what was signed.
  headers.reset(api.slistAppend(headers.release(), "Expect:"));
  // Nor its default "Content-Type: application/x-www-form-urlencoded" for bodies: Azure SharedKey
  // signs Content-Type, so a header the caller did not set must not appear.
  const bool hasContentType = std::any_of(request.headers.begin(), request.headers.end(), [](const auto& header) {
    return header.first.size() == 12 && strncasecmp(header.first.c_str(), "content-type", 12) == 0;
  });
  if (!hasContentType) headers.reset(api.slistAppend(headers.release(), "Content-Type:"));

  api.easySetopt(h, CURLOPT_URL, request.url.c_str());
  // Send the path as signed: S3 keys may contain "." and ".." segments that curl would squash.
  api.easySetopt(h, CURLOPT_PATH_AS_IS, 1L);
  api.easySetopt(h, CURLOPT_NOSIGNAL, 1L);
  api.easySetopt(h, CURLOPT_ERRORBUFFER, errorBuffer);
  api.easySetopt(h, CURLOPT_HTTPHEADER, headers.get());
  api.easySetopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  api.easySetopt(h, CURLOPT_ACCEPT_ENCODING, "");
  api.easySetopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  api.easySetopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(request.timeout, std::chrono::milliseconds(10000)).count()));
  api.easySetopt(h, CURLOPT_WRITEFUNCTION, onBody);
  api.easySetopt(h, CURLOPT_WRITEDATA, &transfer);
  api.easySetopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  api.easySetopt(h, CURLOPT_HEADERDATA, &transfer);
  api.easySetopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
  api.easySetopt(h, CURLOPT_XFERINFODATA, &transfer);
  api.easySetopt(h, CURLOPT_NOPROGRESS, 0L);
  api.easySetopt(h, CURLOPT_PROTOCOLS_STR, "http,https");

  if (request.method == "GET") {
    api.easySetopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    api.easySetopt(h, CURLOPT_NOBODY, 1L);
  } else {
    api.easySetopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    api.easySetopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    api.easySetopt(h, CURLOPT_POSTFIELDS, request.body.data());
  }

  const CURLcode code = api.easyPerform(h);
  if (code != CURLE_OK) return transferError(request, code, transfer, errorBuffer);
  long status = 0;
  api.easyGetinfo(h, CURLINFO_RESPONSE_CODE, &status);
  transfer.response.status = static_cast<int>(status);
  return std::move(transfer.response);
}

}  // namespace spotwise::http
