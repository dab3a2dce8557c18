#include "ui/platform/SecretStore.h"

#include <QDir>

#include <QStandardPaths>

#include <QSettings>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSaveFile>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace spotwise::ui {
namespace {

Error keychainError(const QString& operation, const QKeychain::Job& job) {
  const ErrorCode code = job.error() == QKeychain::AccessDenied || job.error() == QKeychain::AccessDeniedByUser
                             ? ErrorCode::PermissionDenied
                             : job.error() == QKeychain::NoBackendAvailable ? ErrorCode::FailedPrecondition
                                                                            : ErrorCode::Unavailable;
  // QtKeychain's messages name the key and the backend, never the secret.
  return makeError(code, (QStringLiteral("Keychain %1 '%2': ").arg(operation, job.key()) + job.errorString()).toStdString());
}

class KeychainSecretStore final : public SecretStore {
 public:
  explicit KeychainSecretStore(QString service) : m_service(std::move(service)) {}

  void read(const QString& key, QObject* context, ReadDone done) override {
    auto* job = new QKeychain::ReadPasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(key);
    QObject::connect(job, &QKeychain::Job::finished, context, [done = std::move(done)](QKeychain::Job* finished) {
      auto* readJob = static_cast<QKeychain::ReadPasswordJob*>(finished);
      if (readJob->error() == QKeychain::EntryNotFound) return done(std::optional<QString>());
      if (readJob->error() != QKeychain::NoError) return done(keychainError(QStringLiteral("read"), *readJob));
      done(std::optional<QString>(readJob->textData()));
    });
    job->start();
  }

  void write(const QString& key, const QString& secret, QObject* context, WriteDone done) override {
    auto* job = new QKeychain::WritePasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(key);
    job->setTextData(secret);
    QObject::connect(job, &QKeychain::Job::finished, context, [done = std::move(done)](QKeychain::Job* finished) {
      if (finished->error() != QKeychain::NoError) return done(keychainError(QStringLiteral("write"), *finished));
      done(Result<void>());
    });
    job->start();
  }

  void remove(const QString& key, QObject* context, WriteDone done) override {
    auto* job = new QKeychain::DeletePasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(key);
    QObject::connect(job, &QKeychain::Job::finished, context, [done = std::move(done)](QKeychain::Job* finished) {
      if (finished->error() != QKeychain::NoError && finished->error() != QKeychain::EntryNotFound)
        return done(keychainError(QStringLiteral("delete"), *finished));
      done(Result<void>());
    });
    job->start();
  }

  [[nodiscard]] QString backendName() const override {
#if defined(Q_OS_MACOS)
    return QStringLiteral("macOS Keychain");
#elif defined(Q_OS_WIN)
    return QStringLiteral("Windows Credential Manager");
#else
    return QStringLiteral("Secret Service (GNOME Keyring / KWallet)");
#endif
  }

 private:
  QString m_service;
};

class PlaintextSecretStore final : public SecretStore {
 public:
  explicit PlaintextSecretStore(QString path) : m_path(std::move(path)) {}

  void read(const QString& key, QObject* context, ReadDone done) override {
    auto all = load();
    deliver(context, [done = std::move(done), all = std::move(all), key]() mutable {
      if (!all) return done(all.error());
      if (!all->contains(key)) return done(std::optional<QString>());
      done(std::optional<QString>(all->value(key).toString()));
    });
  }

  void write(const QString& key, const QString& secret, QObject* context, WriteDone done) override {
    auto all = load();
    Result<void> result;
    if (!all) result = all.error();
    else {
      all->insert(key, secret);
      result = save(*all);
    }
    deliver(context, [done = std::move(done), result] { done(result); });
  }

  void remove(const QString& key, QObject* context, WriteDone done) override {
    auto all = load();
    Result<void> result;
    if (!all) result = all.error();
    else {
      all->remove(key);
      result = save(*all);
    }
    deliver(context, [done = std::move(done), result] { done(result); });
  }

  [[nodiscard]] QString backendName() const override { return QStringLiteral("Plaintext file (not encrypted): ") + m_path; }
  [[nodiscard]] bool isPlaintext() const override { return true; }

 private:
  // Answer asynchronously like the keychain, so callers have one code path.
  static void deliver(QObject* context, std::function<void()> call) {
    QTimer::singleShot(0, context, std::move(call));
  }

  Result<QJsonObject> load() const {
    QFile file(m_path);
    if (!file.exists()) return QJsonObject();
    if (!file.open(QIODevice::ReadOnly))
      return makeError(ErrorCode::PermissionDenied, "Plaintext secrets " + m_path.toStdString() + ": cannot be read");
    const auto doc = QJsonDocument::fromJson(file.readAll());
    if (!doc.isObject())
      return makeError(ErrorCode::DataLoss, "Plaintext secrets " + m_path.toStdString() + ": not a JSON object");
    return doc.object();
  }

  Result<void> save(const QJsonObject& all) const {
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
      return makeError(ErrorCode::PermissionDenied, "Plaintext secrets " + m_path.toStdString() + ": cannot be written");
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(all).toJson(QJsonDocument::Compact));
    if (!file.commit())
      return makeError(ErrorCode::Unavailable, "Plaintext secrets " + m_path.toStdString() + ": cannot be saved");
    return {};
  }

  QString m_path;
};

}  // namespace

std::unique_ptr<SecretStore> makeKeychainSecretStore(const QString& service) {
  return std::make_unique<KeychainSecretStore>(service);
}

std::unique_ptr<SecretStore> makePlaintextSecretStore(const QString& filePath) {
  return std::make_unique<PlaintextSecretStore>(filePath);
}

std::unique_ptr<SecretStore> makeDefaultSecretStore() {
  QSettings settings;
  if (settings.value(QStringLiteral("accounts/plaintextSecrets"), false).toBool()) {
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    return makePlaintextSecretStore(dir + QStringLiteral("/secrets-plaintext.json"));
  }
  return makeKeychainSecretStore();
}

QString secretKey(const QString& provider, const QString& account, const QString& field) {
  return provider + u'/' + account + u'/' + field;
}

}  // namespace spotwise::ui
