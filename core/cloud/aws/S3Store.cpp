#include "core/cloud/aws/S3Store.h"

#include "core/auth/TokenSource.h"
#include "core/cloud/FileParts.h"
#include "core/common/Time.h"

namespace spotwise::cloud::aws {

Error s3Error(std::string_view operation, const http::Response& response) {
  Error error = *http::errorFromResponse(operation, response);
  if (auto root = parseXml(response.body, operation); root && root->name == "Error") {
    error.providerCode = root->textAt("Code");
    const std::string message = root->textAt("Message");
    if (!message.empty()) error.message = std::string(operation) + ": " + message;
  }
  const std::string& code = error.providerCode;
  if (code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchUpload") error.code = ErrorCode::NotFound;
  else if (code == "AccessDenied") error.code = ErrorCode::PermissionDenied;
  else if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || code == "ExpiredToken" ||
           code == "RequestTimeTooSkewed")
    error.code = ErrorCode::Unauthenticated;
  else if (code == "SlowDown") error.code = ErrorCode::ResourceExhausted;
  else if (code == "InternalError" || code == "ServiceUnavailable") error.code = ErrorCode::Unavailable;
  else if (code == "EntityTooSmall" || code == "InvalidPart" || code == "InvalidPartOrder") error.code = ErrorCode::InvalidArgument;
  return error;
}

S3Store::S3Store(AwsSettings settings, Transport transport) : m_settings(std::move(settings)), m_transport(transport) {}

std::string S3Store::objectUrl(std::string_view key, std::string_view query) const {
  std::string url;
  if (!m_settings.endpointOverride.empty()) {
    url = m_settings.endpointOverride;
    if (url.ends_with('/')) url.pop_back();
    url += "/" + m_settings.bucket + "/";
  } else {
    url = "https://" + m_settings.bucket + ".s3." + m_settings.bucketRegion + ".amazonaws.com/";
  }
  url += percentEncode(key, true);
  if (!query.empty()) url += "?" + std::string(query);
  return url;
}

Result<http::Response> S3Store::call(std::string_view operation, std::string method, std::string url, std::string body,
                                     http::Headers headers, http::Idempotency idempotency, const CallOptions& options,
                                     std::function<bool(std::string_view)> onData, std::function<void()> onAttempt) {
  if (m_settings.bucket.empty()) return makeError(ErrorCode::FailedPrecondition, std::string(operation) + ": no bucket configured");
  return callWithRetry(
      m_transport, operation, idempotency, options,
      [&]() -> Result<http::Request> {
        http::Request request;
        request.method = method;
        request.url = url;
        request.headers = headers;
        // Always say what the body is: left out, libcurl would send a form content type
        // (and moto would then parse the body as a form).
        if (method != "GET" && method != "HEAD") {
          bool hasType = false;
          for (const auto& h : request.headers) hasType = hasType || h.first == "Content-Type";
          if (!hasType) request.headers.emplace_back("Content-Type", "application/octet-stream");
        }
        request.body = body;
        if (onAttempt) onAttempt();
        if (onData) {
          request.onData = onData;
          request.maxBodyBytes = 0;
        }
        auth::aws::SigV4Options sign;
        sign.region = m_settings.bucketRegion;
        sign.service = "s3";
        sign.s3 = true;
        sign.clockSkewSeconds = m_skew.seconds();
        if (auto signedOk = auth::aws::signRequest(request, m_settings.credentials, sign); !signedOk)
          return signedOk.error();
        return request;
      },
      s3Error, {}, {},
      [&](const http::Response& response, const Error&) {
        return m_skew.learn(response, auth::systemUnixNow(), auth::isAwsClockSkewError);
      });
}

Result<void> S3Store::put(std::string_view key, std::string_view bytes, const CallOptions& options) {
  auto response = call("PutObject", "PUT", objectUrl(key), std::string(bytes), {{"Content-Type", "application/octet-stream"}},
                       http::Idempotency::Idempotent, options);
  if (!response) return response.error();
  return {};
}

Result<void> S3Store::putFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return makeError(ErrorCode::NotFound, "PutObject: cannot read " + file.string() + ": " + ec.message());
  if (size > m_settings.multipartThreshold) return putMultipart(key, file, size, options);
  auto bytes = readFileRange("PutObject", file, 0, size);
  if (!bytes) return bytes.error();
  return put(key, *bytes, options);
}

Result<void> S3Store::putMultipart(std::string_view key, const std::filesystem::path& file, std::uint64_t size,
                                   const CallOptions& options) {
  const std::uint64_t partSize = std::max<std::uint64_t>(m_settings.partSize, 5ull * 1024 * 1024);
  if ((size + partSize - 1) / partSize > 10000)
    return makeError(ErrorCode::InvalidArgument, "CreateMultipartUpload: " + file.string() + " needs more than 10000 parts");
  // Creating an upload has no idempotency token: a blind retry could leave a second upload behind.
  auto created = call("CreateMultipartUpload", "POST", objectUrl(key, "uploads="), "", {}, http::Idempotency::NonIdempotent,
                      options);
  if (!created) return created.error();
  auto doc = parseXml(created->body, "CreateMultipartUpload");
  if (!doc) return doc.error();
  const std::string uploadId = doc->textAt("UploadId");
  if (uploadId.empty()) return makeError(ErrorCode::Unavailable, "CreateMultipartUpload: no UploadId in the response");
  const std::string idQuery = "uploadId=" + percentEncode(uploadId);

  auto abort = [&](Error error) -> Result<void> {
    CallOptions cleanup;  // the caller's deadline may be what failed; cleaning up gets its own
    cleanup.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    (void)call("AbortMultipartUpload", "DELETE", objectUrl(key, idQuery), "", {}, http::Idempotency::Idempotent, cleanup);
    return error;
  };

  std::string complete = "<CompleteMultipartUpload>";
  int part = 0;
  for (std::uint64_t offset = 0; offset < size; offset += partSize) {
    ++part;
    auto bytes = readFileRange("UploadPart", file, offset, std::min(partSize, size - offset));
    if (!bytes) return abort(bytes.error());
    auto uploaded = call("UploadPart", "PUT", objectUrl(key, "partNumber=" + std::to_string(part) + "&" + idQuery),
                         std::move(*bytes), {}, http::Idempotency::Idempotent, options);
    if (!uploaded) return abort(uploaded.error());
    const auto etag = uploaded->header("ETag");
    if (!etag) return abort(makeError(ErrorCode::Unavailable, "UploadPart: no ETag for part " + std::to_string(part)));
    complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + xmlEscape(*etag) + "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  auto done = call("CompleteMultipartUpload", "POST", objectUrl(key, idQuery), complete,
                   {{"Content-Type", "application/xml"}}, http::Idempotency::Idempotent, options);
  if (!done) return abort(done.error());
  // S3 may answer 200 and still fail the completion (the error is in the body).
  if (auto root = parseXml(done->body, "CompleteMultipartUpload"); root && root->name == "Error") {
    http::Response failed = *done;
    failed.status = 500;
    return abort(s3Error("CompleteMultipartUpload", failed));
  }
  return {};
}

Result<std::string> S3Store::get(std::string_view key, const CallOptions& options) {
  auto response = call("GetObject", "GET", objectUrl(key), "", {}, http::Idempotency::Idempotent, options);
  if (!response) return response.error();
  return std::move(response->body);
}

Result<void> S3Store::getFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) {
  return downloadToFile("GetObject", file, [&](auto onData, auto onAttempt) {
    return call("GetObject", "GET", objectUrl(key), "", {}, http::Idempotency::Idempotent, options, std::move(onData),
                std::move(onAttempt));
  });
}

Result<ObjectInfo> S3Store::head(std::string_view key, const CallOptions& options) {
  auto response = call("HeadObject", "HEAD", objectUrl(key), "", {}, http::Idempotency::Idempotent, options);
  if (!response) return response.error();
  return objectInfoFromHead(key, *response);
}

Result<std::vector<ObjectInfo>> S3Store::list(std::string_view prefix, const CallOptions& options) {
  std::vector<ObjectInfo> out;
  std::string token;
  for (int pages = 0; pages < 100000; ++pages) {
    std::string query = "list-type=2&prefix=" + percentEncode(prefix);
    if (!token.empty()) query += "&continuation-token=" + percentEncode(token);
    auto response = call("ListObjectsV2", "GET", objectUrl("", query), "", {}, http::Idempotency::Idempotent, options);
    if (!response) return response.error();
    auto root = parseXml(response->body, "ListObjectsV2");
    if (!root) {
      Error e = root.error();
      e.code = ErrorCode::Unavailable;
      return e;
    }
    for (const auto* item : root->childrenNamed("Contents")) {
      ObjectInfo info;
      info.key = item->textAt("Key");
      info.size = std::stoull("0" + item->textAt("Size"));
      info.etag = unquoteEtag(item->textAt("ETag"));
      info.modifiedUnix = parseIso8601Utc(item->textAt("LastModified")).value_or(0);
      out.push_back(std::move(info));
    }
    const std::string next = root->textAt("NextContinuationToken");
    if (root->textAt("IsTruncated") != "true" || next.empty()) return out;
    token = next;
  }
  return makeError(ErrorCode::Internal, "ListObjectsV2: too many pages");
}

Result<void> S3Store::remove(std::string_view key, const CallOptions& options) {
  auto response = call("DeleteObject", "DELETE", objectUrl(key), "", {}, http::Idempotency::Idempotent, options);
  if (!response && response.error().code != ErrorCode::NotFound) return response.error();
  return {};
}

}  // namespace spotwise::cloud::aws
