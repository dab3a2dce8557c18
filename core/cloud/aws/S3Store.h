#pragma once

#include "core/auth/ClockSkew.h"
#include "core/cloud/ApiCall.h"
#include "core/cloud/aws/AwsSettings.h"

namespace spotwise::cloud::aws {

/**
 * S3 objects under settings.bucket, SigV4-signed (path-style against an endpoint override,
 * virtual-hosted otherwise). putFile() uses multipart upload above settings.multipartThreshold
 * (parts of settings.partSize, each retried on its own; a failed upload is aborted so no parts
 * are left billing). Error documents map to: NoSuchKey/NoSuchBucket → NotFound, AccessDenied →
 * PermissionDenied, SignatureDoesNotMatch/InvalidAccessKeyId → Unauthenticated, SlowDown →
 * transient ResourceExhausted, 5xx → Unavailable. A request refused for its time
 * (RequestTimeTooSkewed) is signed again with the offset learned from S3's Date and sent once
 * more; the offset is kept for later calls. Thread-compatible.
 */
class S3Store final : public ObjectStore {
 public:
  S3Store(AwsSettings settings, Transport transport);

  Result<void> put(std::string_view key, std::string_view bytes, const CallOptions& options) override;
  Result<void> putFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) override;
  Result<std::string> get(std::string_view key, const CallOptions& options) override;
  Result<void> getFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) override;
  Result<ObjectInfo> head(std::string_view key, const CallOptions& options) override;
  Result<std::vector<ObjectInfo>> list(std::string_view prefix, const CallOptions& options) override;
  Result<void> remove(std::string_view key, const CallOptions& options) override;

  /** The URL of `key` ("" for the bucket itself), with `query` appended when not empty. */
  [[nodiscard]] std::string objectUrl(std::string_view key, std::string_view query = {}) const;

 private:
  Result<http::Response> call(std::string_view operation, std::string method, std::string url, std::string body,
                              http::Headers headers, http::Idempotency idempotency, const CallOptions& options,
                              std::function<bool(std::string_view)> onData = {}, std::function<void()> onAttempt = {});
  Result<void> putMultipart(std::string_view key, const std::filesystem::path& file, std::uint64_t size,
                            const CallOptions& options);

  AwsSettings m_settings;
  Transport m_transport;
  auth::ClockSkew m_skew;
};

/** The Error of a failed S3 call, from its <Error> document (or the status when there is none). */
Error s3Error(std::string_view operation, const http::Response& response);

}  // namespace spotwise::cloud::aws
