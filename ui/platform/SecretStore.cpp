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

#if defined(SPOTWISE_HAVE_QTDBUS)
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>
#endif

namespace spotwise::ui {
namespace {

enum class KeychainFault { None, Absent, Locked };

/** Recognises an absent or locked keychain from QtKeychain's error (its codes alone do not tell). */
KeychainFault faultOf(const QKeychain::Job& job) {
  const QString text = job.errorString();
  if (job.error() == QKeychain::NoBackendAvailable || text.contains(QStringLiteral("org.freedesktop.secrets")) ||
      text.contains(QStringLiteral("Could not connect")) || text.contains(QStringLiteral("autolaunch"), Qt::CaseInsensitive) ||
      text.contains(QStringLiteral("ServiceUnknown"))) {
    return KeychainFault::Absent;
  }
  if (text.contains(QStringLiteral("locked"), Qt::CaseInsensitive)) return KeychainFault::Locked;
  return KeychainFault::None;
}

Error lockedError(const QString& operation, const QString& key, const QString& detail) {
  QString message = QStringLiteral("Keychain %1 '%2': the keychain is locked: unlock it (log in again or open your "
                                   "keyring manager) and try again; nothing was %3")
                        .arg(operation, key, operation == QStringLiteral("read") ? QStringLiteral("read") : QStringLiteral("saved"));
  if (!detail.isEmpty()) message += QStringLiteral(" (%1)").arg(detail);
  return makeError(ErrorCode::PermissionDenied, message.toStdString());
}

Error keychainError(const QString& operation, const QKeychain::Job& job) {
  // QtKeychain's messages name the key and the backend, never the secret.
  switch (faultOf(job)) {
    case KeychainFault::Absent:
      return makeError(ErrorCode::FailedPrecondition,
                       QStringLiteral("Keychain %1 '%2': no keychain is available (no Secret Service such as GNOME "
                                      "Keyring or KWallet answers): nothing was %3; start one, or choose the "
                                      "plaintext file on the Accounts page (%4)")
                           .arg(operation, job.key(),
                                operation == QStringLiteral("read") ? QStringLiteral("read") : QStringLiteral("saved"),
                                job.errorString())
                           .toStdString());
    case KeychainFault::Locked:
      return lockedError(operation, job.key(), job.errorString());
    case KeychainFault::None:
      break;
  }
  const ErrorCode code = job.error() == QKeychain::AccessDenied || job.error() == QKeychain::AccessDeniedByUser
                             ? ErrorCode::PermissionDenied
                             : ErrorCode::Unavailable;
  return makeError(code, (QStringLiteral("Keychain %1 '%2': ").arg(operation, job.key()) + job.errorString()).toStdString());
}

/**
 * Whether the Secret Service's default collection is locked. libsecret answers a lookup in a
 * locked collection that it cannot unlock (no prompt possible) with "no such item", so "not found"
 * is only believed when the collection is unlocked. Answers asynchronously on `context`.
 */
void whenDefaultCollectionLockState(QObject* context, std::function<void(bool locked)> then) {
#if defined(SPOTWISE_HAVE_QTDBUS)
  auto message = QDBusMessage::createMethodCall(QStringLiteral("org.freedesktop.secrets"),
                                                QStringLiteral("/org/freedesktop/secrets/aliases/default"),
                                                QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("Get"));
  message << QStringLiteral("org.freedesktop.Secret.Collection") << QStringLiteral("Locked");
  auto* watcher = new QDBusPendingCallWatcher(QDBusConnection::sessionBus().asyncCall(message, 10000), context);
  QObject::connect(watcher, &QDBusPendingCallWatcher::finished, context, [then = std::move(then)](QDBusPendingCallWatcher* w) {
    w->deleteLater();
    const QDBusPendingReply<QDBusVariant> reply = *w;
    then(!reply.isError() && reply.value().variant().toBool());
  });
#else
  QTimer::singleShot(0, context, [then = std::move(then)] { then(false); });
#endif
}

class KeychainSecretStore final : public SecretStore {
 public:
  explicit KeychainSecretStore(QString service) : m_service(std::move(service)) {}

  void read(const QString& key, QObject* context, ReadDone done) override {
    auto* job = new QKeychain::ReadPasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(key);
    QObject::connect(job, &QKeychain::Job::finished, context, [done = std::move(done), context](QKeychain::Job* finished) {
      auto* readJob = static_cast<QKeychain::ReadPasswordJob*>(finished);
      if (readJob->error() == QKeychain::EntryNotFound) {
        return whenDefaultCollectionLockState(context, [done, entry = readJob->key()](bool locked) {
          if (locked) return done(lockedError(QStringLiteral("read"), entry, QString()));
          done(std::optional<QString>());
        });
      }
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
