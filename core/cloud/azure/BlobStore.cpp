#include "core/cloud/azure/BlobStore.h"

#include <cctype>
#include <cstdio>

#include "core/auth/TokenSource.h"
#include "core/auth/aws/SigV4.h"
#include "core/cloud/Encoding.h"
#include "core/cloud/FileParts.h"
#include "core/cloud/Xml.h"
#include "core/common/Log.h"

namespace spotwise::cloud::azure {

Error blobError(std::string_view operation, const http::Response& response) {
  Error error = *http::errorFromResponse(operation, response);
  std::string code = response.header("x-ms-error-code").value_or("");
  if (auto root = parseXml(response.body, operation); root && root->name == "Error") {
    if (code.empty()) code = root->textAt("Code");
    std::string message = root->textAt("Message");
    if (const auto newline = message.find('\n'); newline != std::string::npos) message = message.substr(0, newline);
    if (!message.empty()) error.message = std::string(operation) + ": " + message;
  }
  error.providerCode = code;
  if (code == "BlobNotFound" || code == "ContainerNotFound" || code == "ResourceNotFound") error.code = ErrorCode::NotFound;
  else if (code == "AuthenticationFailed" || code == "InvalidAuthenticationInfo") error.code = ErrorCode::Unauthenticated;
  else if (code == "AuthorizationPermissionMismatch" || code == "AuthorizationFailure" ||
           code == "AuthorizationResourceTypeMismatch")
    error.code = ErrorCode::PermissionDenied;
  else if (code == "ServerBusy" || code == "InternalError" || code == "OperationTimedOut") error.code = ErrorCode::Unavailable;
  return error;
}

BlobStore::BlobStore(BlobSettings settings, Transport transport) : m_settings(std::move(settings)), m_transport(transport) {
  if (m_settings.accountKey) registerSecret(m_settings.accountKey->key);
  if (const auto sig = m_settings.sasToken.find("sig="); sig != std::string::npos)
    registerSecret(m_settings.sasToken.substr(sig + 4, m_settings.sasToken.find('&', sig) - sig - 4));
}

std::string jobContainerName(std::string_view container, std::string_view jobId) {
  std::string job;
  for (const char c : jobId) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool ok = std::isalnum(static_cast<unsigned char>(lower)) != 0;
    if (ok) job += lower;
    else if (!job.empty() && job.back() != '-') job += '-';
  }
  while (!job.empty() && job.back() == '-') job.pop_back();
  std::string name = std::string(container) + "-" + job;
  if (job != jobId || name.size() > 63) {
    // FNV-1a of the original id: distinct ids that map to the same characters stay apart.
    std::uint32_t hash = 2166136261u;
    for (const char c : jobId) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    char suffix[10];
    std::snprintf(suffix, sizeof suffix, "-%08x", hash);
    if (name.size() > 63 - 9) name.resize(63 - 9);
    while (!name.empty() && name.back() == '-') name.pop_back();
    name += suffix;
  }
  return name;
}

std::string BlobStore::containerFor(std::string_view key) const {
  if (!m_settings.containerPerJob || !m_settings.accountKey) return m_settings.container;
  std::string_view rest = key;
  if (!m_settings.jobRoot.empty()) {
    const std::string root = m_settings.jobRoot + "/";
    if (!rest.starts_with(root)) return m_settings.container;
    rest.remove_prefix(root.size());
  }
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return m_settings.container;
  return jobContainerName(m_settings.container, rest.substr(0, slash));
}

std::string BlobStore::containerUrl(const std::string& container) const {
  std::string url = m_settings.endpoint;
  if (url.ends_with('/')) url.pop_back();
  return url + "/" + (container.empty() ? m_settings.container : container);
}

std::string BlobStore::blobUrl(std::string_view key, std::string_view query) const {
  std::string url = containerUrl(containerFor(key));
  if (!key.empty()) url += "/" + percentEncode(key, true);
  std::string q(query);
  if (!m_settings.accountKey && !m_settings.sasToken.empty()) q += (q.empty() ? "" : "&") + m_settings.sasToken;
  if (!q.empty()) url += "?" + q;
  return url;
}

Result<http::Response> BlobStore::call(std::string_view operation, std::string method, std::string url, std::string body,
                                       http::Headers headers, const CallOptions& options,
                                       std::function<bool(std::string_view)> onData, std::function<void()> onAttempt) {
  if (!m_settings.accountKey && m_settings.sasToken.empty())
    return makeError(ErrorCode::FailedPrecondition, std::string(operation) + ": no storage key or SAS");
  return callWithRetry(
      m_transport, operation, http::Idempotency::Idempotent, options,
      [&]() -> Result<http::Request> {
        http::Request request;
        request.method = method;
        request.url = url;
        request.headers = headers;
        request.body = body;
        // Always name the body's type: libcurl would otherwise add a form type that SharedKey did not sign.
        if (method != "GET" && method != "HEAD") {
          bool hasType = false;
          for (const auto& h : request.headers) hasType = hasType || h.first == "Content-Type";
          if (!hasType) request.headers.emplace_back("Content-Type", "application/octet-stream");
        }
        if (onAttempt) onAttempt();
        if (onData) {
          request.onData = onData;
          request.maxBodyBytes = 0;
        }
        if (m_settings.accountKey) {
          auth::azure::SharedKeyOptions sign;
          sign.clockSkewSeconds = m_skew.seconds();
          if (auto signedOk = auth::azure::signSharedKey(request, *m_settings.accountKey, sign); !signedOk)
            return signedOk.error();
        } else {
          request.headers.emplace_back("x-ms-version", std::string(auth::azure::kStorageVersion));
        }
        return request;
      },
      blobError, {}, {},
      [&](const http::Response& response, const Error&) {
        return m_settings.accountKey && m_skew.learn(response, auth::systemUnixNow(), auth::isAzureClockSkewError);
      });
}

Result<void> BlobStore::ensureContainer(const CallOptions& options) { return ensureContainerNamed(m_settings.container, options); }

Result<void> BlobStore::ensureContainerNamed(const std::string& container, const CallOptions& options) {
  auto created = call("CreateContainer", "PUT", containerUrl(container) + "?restype=container", "", {}, options);
  if (!created && created.error().providerCode != "ContainerAlreadyExists") return created.error();
  return {};
}

Result<http::Response> BlobStore::write(std::string_view operation, std::string_view key, std::string url, std::string body,
                                        http::Headers headers, const CallOptions& options) {
  auto response = call(operation, "PUT", url, body, headers, options);
  const std::string container = containerFor(key);
  if (!response && response.error().providerCode == "ContainerNotFound" && m_settings.accountKey &&
      container != m_settings.container) {
    if (auto created = ensureContainerNamed(container, options); !created) return created.error();
    response = call(operation, "PUT", std::move(url), std::move(body), std::move(headers), options);
  }
  return response;
}

Result<void> BlobStore::put(std::string_view key, std::string_view bytes, const CallOptions& options) {
  auto response = write("PutBlob", key, blobUrl(key), std::string(bytes), {{"x-ms-blob-type", "BlockBlob"}}, options);
  if (!response) return response.error();
  return {};
}

Result<void> BlobStore::putFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return makeError(ErrorCode::NotFound, "PutBlob: cannot read " + file.string() + ": " + ec.message());
  if (size <= m_settings.blockThreshold) {
    auto bytes = readFileRange("PutBlob", file, 0, size);
    if (!bytes) return bytes.error();
    return put(key, *bytes, options);
  }
  const std::uint64_t blockSize = std::max<std::uint64_t>(m_settings.blockSize, 1024ull * 1024);
  if ((size + blockSize - 1) / blockSize > 50000)
    return makeError(ErrorCode::InvalidArgument, "PutBlock: " + file.string() + " needs more than 50000 blocks");
  std::string list = R"(<?xml version="1.0" encoding="utf-8"?><BlockList>)";
  int n = 0;
  for (std::uint64_t offset = 0; offset < size; offset += blockSize) {
    char name[32];
    std::snprintf(name, sizeof name, "spotwise-block-%06d", ++n);  // every id the same length, as Azure requires
    const std::string id = base64Encode(name);
    auto bytes = readFileRange("PutBlock", file, offset, std::min(blockSize, size - offset));
    if (!bytes) return bytes.error();
    // Re-sending a block under the same id replaces it: safe to retry.
    auto put = write("PutBlock", key, blobUrl(key, "comp=block&blockid=" + percentEncode(id)), std::move(*bytes), {},
                     options);
    if (!put) return put.error();
    list += "<Latest>" + id + "</Latest>";
  }
  list += "</BlockList>";
  auto committed = call("PutBlockList", "PUT", blobUrl(key, "comp=blocklist"), list, {{"Content-Type", "application/xml"}},
                        options);
  if (!committed) return committed.error();
  return {};
}

Result<std::string> BlobStore::get(std::string_view key, const CallOptions& options) {
  auto response = call("GetBlob", "GET", blobUrl(key), "", {}, options);
  if (!response) return response.error();
  return std::move(response->body);
}

Result<void> BlobStore::getFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) {
  return downloadToFile("GetBlob", file, [&](auto onData, auto onAttempt) {
    return call("GetBlob", "GET", blobUrl(key), "", {}, options, std::move(onData), std::move(onAttempt));
  });
}

Result<ObjectInfo> BlobStore::head(std::string_view key, const CallOptions& options) {
  auto response = call("GetBlobProperties", "HEAD", blobUrl(key), "", {}, options);
  if (!response) return response.error();
  return objectInfoFromHead(key, *response);
}

Result<std::vector<ObjectInfo>> BlobStore::list(std::string_view prefix, const CallOptions& options) {
  std::vector<ObjectInfo> out;
  std::string marker;
  for (int pages = 0; pages < 100000; ++pages) {
    std::string query = "restype=container&comp=list&prefix=" + percentEncode(prefix);
    if (!marker.empty()) query += "&marker=" + percentEncode(marker);
    // The container the prefix's keys live in (a job's own with containerPerJob).
    std::string url = containerUrl(containerFor(prefix)) + "?" + query;
    if (!m_settings.accountKey && !m_settings.sasToken.empty()) url += "&" + m_settings.sasToken;
    auto response = call("ListBlobs", "GET", url, "", {}, options);
    if (!response) return response.error();
    auto root = parseXml(response->body, "ListBlobs");
    if (!root) {
      Error e = root.error();
      e.code = ErrorCode::Unavailable;
      return e;
    }
    if (const auto* blobs = root->child("Blobs"))
      for (const auto* blob : blobs->childrenNamed("Blob")) {
        ObjectInfo info;
        info.key = blob->textAt("Name");
        info.size = std::stoull("0" + blob->textAt("Properties/Content-Length"));
        info.etag = unquoteEtag(blob->textAt("Properties/Etag"));
        info.modifiedUnix = auth::aws::parseHttpDate(blob->textAt("Properties/Last-Modified")).value_or(0);
        out.push_back(std::move(info));
      }
    marker = root->textAt("NextMarker");
    if (marker.empty()) return out;
  }
  return makeError(ErrorCode::Internal, "ListBlobs: too many pages");
}

Result<void> BlobStore::remove(std::string_view key, const CallOptions& options) {
  auto response = call("DeleteBlob", "DELETE", blobUrl(key), "", {}, options);
  if (!response && response.error().code != ErrorCode::NotFound) return response.error();
  return {};
}

Result<std::string> BlobStore::containerSas(std::string_view permissions, std::int64_t expiresUnix,
                                            const std::string& container) const {
  if (!m_settings.accountKey)
    return makeError(ErrorCode::FailedPrecondition, "ContainerSas: only the account key can issue a SAS");
  auth::azure::ServiceSasOptions sas;
  sas.resource = auth::azure::SasResource::Container;
  sas.container = container.empty() ? m_settings.container : container;
  sas.permissions = std::string(permissions);
  sas.expiryUnix = expiresUnix;
  return auth::azure::makeServiceSas(*m_settings.accountKey, sas);
}

}  // namespace spotwise::cloud::azure
