#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/common/Result.h"
#include "core/http/HttpClient.h"

/**
 * Azure Blob Storage authorisation with an account key: SharedKey request signing and shared
 * access signatures (service blob/container/directory SAS and account SAS), as specified in
 * "Authorize with Shared Key" and "Create a service SAS" (version 2021-12-02), checked against
 * the Python SDK's output and Azurite (tests/core/auth/azure, tests/lab/azurite).
 * Pure functions (the clock is read only when nowUnix is 0); thread-safe.
 */
namespace spotwise::auth::azure {

inline constexpr std::string_view kStorageVersion = "2021-12-02";

struct StorageAccountKey {
  std::string account;  ///< e.g. "devstoreaccount1"
  std::string key;      ///< base64, as shown in the portal
};

struct SharedKeyOptions {
  std::int64_t nowUnix = 0;  ///< x-ms-date; 0 = now (+ clockSkewSeconds)
  std::int64_t clockSkewSeconds = 0;
  std::string version = std::string(kStorageVersion);  ///< x-ms-version when the request has none
};

/**
 * Signs `request` in place: sets x-ms-date, x-ms-version (unless present) and
 * `Authorization: SharedKey account:signature`. The canonical resource is "/account" followed by
 * the URL's path as sent (path-style emulator URLs therefore repeat the account).
 * InvalidArgument when the key is not base64 or the URL is unusable.
 */
Result<void> signSharedKey(http::Request& request, const StorageAccountKey& key, const SharedKeyOptions& options = {},
                           std::string* stringToSign = nullptr);

/** Which resource a SAS grants. */
enum class SasResource {
  Blob,       ///< sr=b: one blob
  Container,  ///< sr=c: the whole container
  Directory,  ///< sr=d: a directory (prefix) and below; needs a hierarchical-namespace account
};

struct ServiceSasOptions {
  SasResource resource = SasResource::Container;
  std::string container;
  std::string blob;             ///< blob name (Blob) or directory path without trailing '/' (Directory)
  std::string permissions;      ///< any of "racwdxyltmeop" in that canonical order, e.g. "rl", "rcw"
  std::int64_t expiryUnix = 0;  ///< required
  std::optional<std::int64_t> startUnix;
  std::string ipRange;          ///< "168.1.5.60" or "168.1.5.60-168.1.5.70"; empty = any
  bool httpsOnly = false;       ///< spr=https (else unset: the service allows both)
  std::string identifier;       ///< a stored access policy (si)
  std::string version = std::string(kStorageVersion);
};

/**
 * A service SAS query string ("st=...&se=...&sp=...&sv=...&sr=...&sig=..."), values
 * percent-encoded. InvalidArgument for an unknown permission letter, a missing container/blob,
 * an expiry not after the start, or a key that is not base64. `stringToSign` receives what was signed.
 */
Result<std::string> makeServiceSas(const StorageAccountKey& key, const ServiceSasOptions& options,
                                   std::string* stringToSign = nullptr);

struct AccountSasOptions {
  std::string services = "b";        ///< ss: b (blob), f, q, t
  std::string resourceTypes = "sco"; ///< srt: s (service), c (container), o (object)
  std::string permissions;           ///< sp: "rwdlacuptfxiy" letters
  std::int64_t expiryUnix = 0;
  std::optional<std::int64_t> startUnix;
  std::string ipRange;
  bool httpsOnly = false;
  std::string version = std::string(kStorageVersion);
};

/** An account SAS query string; errors as makeServiceSas. */
Result<std::string> makeAccountSas(const StorageAccountKey& key, const AccountSasOptions& options,
                                   std::string* stringToSign = nullptr);

/** "2030-01-01T00:00:00Z" (the SAS time format). */
std::string sasTime(std::int64_t unixSeconds);

/** The well-known public Azurite/emulator account (not a secret; documented by Microsoft). */
StorageAccountKey emulatorAccount();

}  // namespace spotwise::auth::azure
