#pragma once

#include "core/auth/TokenSource.h"
#include "core/cloud/ApiCall.h"

namespace spotwise::cloud::gcp {

struct GcsSettings {
  /** JSON API base without a trailing '/': "https://storage.googleapis.com" or the lab's server. */
  std::string endpoint = "https://storage.googleapis.com";
  std::string bucket;
  auth::TokenSource* tokens = nullptr;  ///< devstorage.read_write or cloud-platform scope; must outlive the store
  /** putFile() uses a resumable upload above this size, in chunks of chunkSize (a multiple of 256 KiB). */
  std::uint64_t resumableThreshold = 8ull * 1024 * 1024;
  std::uint64_t chunkSize = 8ull * 1024 * 1024;
};

/**
 * Cloud Storage objects through the JSON API. Small files go up in one media upload, large ones
 * in a resumable session whose chunks are retried from the offset the server confirms (a chunk
 * the server got although the answer was lost is not sent twice). Errors: GCE-style error
 * documents (notFound → NotFound, 401/403 by status, 429/5xx transient). Thread-compatible.
 */
class GcsStore final : public ObjectStore {
 public:
  GcsStore(GcsSettings settings, Transport transport);

  Result<void> put(std::string_view key, std::string_view bytes, const CallOptions& options) override;
  Result<void> putFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) override;
  Result<std::string> get(std::string_view key, const CallOptions& options) override;
  Result<void> getFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) override;
  Result<ObjectInfo> head(std::string_view key, const CallOptions& options) override;
  Result<std::vector<ObjectInfo>> list(std::string_view prefix, const CallOptions& options) override;
  Result<void> remove(std::string_view key, const CallOptions& options) override;

 private:
  /** A request with a bearer token; the token goes to `usedToken` (dropped again if refused). */
  Result<http::Request> authorized(std::string& usedToken, std::string method, std::string url, std::string body,
                                   http::Headers headers, const CallOptions& options) const;
  Result<http::Response> call(std::string_view operation, std::string method, std::string url, std::string body,
                              http::Headers headers, const CallOptions& options,
                              std::function<bool(std::string_view)> onData = {}, std::function<void()> onAttempt = {});
  [[nodiscard]] std::string objectUrl(std::string_view key) const;

  GcsSettings m_settings;
  Transport m_transport;
};

}  // namespace spotwise::cloud::gcp
