#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

#include "core/common/Result.h"

namespace spotwise::ui {

/**
 * Where credentials live: the OS keychain (Secret Service / GNOME Keyring on Linux, Keychain on
 * macOS, Credential Manager on Windows) through QtKeychain. Settings files hold only non-secret
 * fields; the plaintext store exists only when the user opts in and says so in its name.
 *
 * Asynchronous (the keychain may prompt or be slow): each call answers once through `done`,
 * on the thread of `context`; nothing is called when `context` is destroyed first.
 */
class SecretStore {
 public:
  using ReadDone = std::function<void(Result<std::optional<QString>> secret)>;  ///< nullopt: no such entry
  using WriteDone = std::function<void(Result<void> result)>;

  virtual ~SecretStore() = default;
  virtual void read(const QString& key, QObject* context, ReadDone done) = 0;
  virtual void write(const QString& key, const QString& secret, QObject* context, WriteDone done) = 0;
  /** Removing an absent entry succeeds. */
  virtual void remove(const QString& key, QObject* context, WriteDone done) = 0;
  /** "GNOME Keyring / Secret Service", "Plaintext file (not encrypted)". */
  [[nodiscard]] virtual QString backendName() const = 0;
  [[nodiscard]] virtual bool isPlaintext() const { return false; }
};

/** QtKeychain, service name "Spotwise" (or `service`, for tests). */
std::unique_ptr<SecretStore> makeKeychainSecretStore(const QString& service = QStringLiteral("Spotwise"));

/**
 * An explicit opt-in fallback for systems without a keychain: a JSON file readable only by the
 * user (0600), labelled "not encrypted" wherever it is shown.
 */
std::unique_ptr<SecretStore> makePlaintextSecretStore(const QString& filePath);

/**
 * The store the user chose: the OS keychain, or the labelled plaintext file when they opted in on the
 * Accounts page (QSettings accounts/plaintextSecrets). Every page that reads secrets uses this one.
 */
std::unique_ptr<SecretStore> makeDefaultSecretStore();

/** Keychain entry names: "aws/<profile>/secret_access_key", "gcp/<name>/key_json", "azure/<tenant>/<client>/client_secret". */
QString secretKey(const QString& provider, const QString& account, const QString& field);

}  // namespace spotwise::ui
