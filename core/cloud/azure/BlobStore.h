#pragma once

#include <optional>

#include "core/auth/ClockSkew.h"
#include "core/auth/azure/SharedKey.h"
#include "core/cloud/ApiCall.h"

namespace spotwise::cloud::azure {

struct BlobSettings {
  /** "https://<account>.blob.core.windows.net", or Azurite's "http://127.0.0.1:PORT/devstoreaccount1". */
  std::string endpoint;
  std::string container;
  /** The desktop signs with the account key (SharedKey)… */
  std::optional<auth::azure::StorageAccountKey> accountKey;
  /** …an instance with a SAS token ("sv=…&sig=…", no leading '?') and never the key. */
  std::string sasToken;
  /** putFile() uploads blocks above this size, blockSize each (Azure allows up to 4000 MiB a block). */
  std::uint64_t blockThreshold = 64ull * 1024 * 1024;
  std::uint64_t blockSize = 16ull * 1024 * 1024;
  /**
   * One container per job, so that a job's instance, whose SAS names its own container, cannot
   * read or write another job's data: Blob Storage without a hierarchical namespace has no
   * prefix-scoped SAS (a directory SAS, sr=d, needs HNS), and a container SAS is the narrowest
   * scope every account supports. A key "<jobRoot>/<job>/rest" (or "<job>/rest" when jobRoot is
   * empty) is stored, under its full name, in the container jobContainerName(container, job),
   * created on first write; any other key stays in `container`. Off: everything in `container`.
   * Only a store with the account key routes: an instance's store (SAS only) works in the one
   * container its SAS names, `container`.
   */
  bool containerPerJob = true;
  std::string jobRoot;  ///< the prefix job folders live under ("" or e.g. "runs")
};

/**
 * The container of `jobId`'s data: "<container>-<job>" in the characters Azure allows (lower-case
 * letters, digits, single hyphens, 3..63), with a hash of the job id appended when the id had to
 * be changed or shortened, so that two jobs never share one.
 */
std::string jobContainerName(std::string_view container, std::string_view jobId);

/**
 * Azure Blob Storage objects in one container, signed with SharedKey or authorised by a SAS.
 * Large files go up as blocks (Put Block, then Put Block List; uncommitted blocks expire by
 * themselves). Error documents map to: BlobNotFound/ContainerNotFound → NotFound,
 * AuthenticationFailed → Unauthenticated, AuthorizationPermissionMismatch/AuthorizationFailure →
 * PermissionDenied, ServerBusy/InternalError/OperationTimedOut → Unavailable. A SharedKey request
 * refused for its x-ms-date ("Request date header too old": our clock is more than 15 minutes
 * off) is signed again with the offset learned from the service's Date and sent once more; the
 * offset is kept for later calls. Thread-compatible.
 */
class BlobStore final : public ObjectStore {
 public:
  BlobStore(BlobSettings settings, Transport transport);

  /** Creates settings.container when it does not exist yet (SharedKey only). */
  Result<void> ensureContainer(const CallOptions& options);
  Result<void> put(std::string_view key, std::string_view bytes, const CallOptions& options) override;
  Result<void> putFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) override;
  Result<std::string> get(std::string_view key, const CallOptions& options) override;
  Result<void> getFile(std::string_view key, const std::filesystem::path& file, const CallOptions& options) override;
  Result<ObjectInfo> head(std::string_view key, const CallOptions& options) override;
  Result<std::vector<ObjectInfo>> list(std::string_view prefix, const CallOptions& options) override;
  Result<void> remove(std::string_view key, const CallOptions& options) override;

  /** Creates `container` when it does not exist yet (SharedKey only). */
  Result<void> ensureContainerNamed(const std::string& container, const CallOptions& options);

  /**
   * A service SAS on `container` (settings.container when empty) with `permissions` until
   * `expiresUnix`; only with the account key.
   */
  Result<std::string> containerSas(std::string_view permissions, std::int64_t expiresUnix,
                                   const std::string& container = {}) const;
  /** The container `key` lives in (see BlobSettings::containerPerJob). */
  [[nodiscard]] std::string containerFor(std::string_view key) const;
  /** The URL of `container` (settings.container when empty), without a query. */
  [[nodiscard]] std::string containerUrl(const std::string& container = {}) const;
  [[nodiscard]] std::string blobUrl(std::string_view key, std::string_view query = {}) const;
  [[nodiscard]] const BlobSettings& settings() const { return m_settings; }

 private:
  /** A write that creates the key's job container and tries once more when the container is missing. */
  Result<http::Response> write(std::string_view operation, std::string_view key, std::string url, std::string body,
                               http::Headers headers, const CallOptions& options);
  Result<http::Response> call(std::string_view operation, std::string method, std::string url, std::string body,
                              http::Headers headers, const CallOptions& options,
                              std::function<bool(std::string_view)> onData = {}, std::function<void()> onAttempt = {});

  BlobSettings m_settings;
  Transport m_transport;
  auth::ClockSkew m_skew;
};

/** The Error of a failed Blob call from its <Error> document or x-ms-error-code header. */
Error blobError(std::string_view operation, const http::Response& response);

}  // namespace spotwise::cloud::azure
