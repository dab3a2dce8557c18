// SecretStore against a real Secret Service: the test re-runs itself inside `dbus-run-session`
// with its own gnome-keyring (unlocked with a test password, keyrings in a temporary
// XDG_DATA_HOME), so the user's keyring is never touched and nothing outlives the test.
#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

#include "ui/platform/SecretStore.h"

using namespace spotwise;
using namespace spotwise::ui;

namespace {

constexpr const char* kSessionMarker = "SPOTWISE_TEST_KEYRING_SESSION";

bool ciMode() { return qEnvironmentVariable("CI") == QStringLiteral("true"); }

struct Outcome {
  bool done = false;
  Result<std::optional<QString>> value = std::optional<QString>();
  Result<void> status;
};

}  // namespace

class SecretStoreTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;

  static std::optional<QString> readNow(SecretStore& store, const QString& key, QObject* context, Error* error = nullptr) {
    Outcome outcome;
    store.read(key, context, [&outcome](Result<std::optional<QString>> r) {
      outcome.value = std::move(r);
      outcome.done = true;
    });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(outcome.done, 20000); }();
    if (!outcome.value.ok()) {
      if (error) *error = outcome.value.error();
      return std::nullopt;
    }
    return *outcome.value;
  }

  static Result<void> writeNow(SecretStore& store, const QString& key, const QString& secret, QObject* context) {
    Outcome outcome;
    store.write(key, secret, context, [&outcome](Result<void> r) {
      outcome.status = std::move(r);
      outcome.done = true;
    });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(outcome.done, 20000); }();
    return outcome.status;
  }

  static Result<void> removeNow(SecretStore& store, const QString& key, QObject* context) {
    Outcome outcome;
    store.remove(key, context, [&outcome](Result<void> r) {
      outcome.status = std::move(r);
      outcome.done = true;
    });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(outcome.done, 20000); }();
    return outcome.status;
  }

  void roundTrip(SecretStore& store) {
    QObject context;
    const QString key = secretKey(QStringLiteral("aws"), QStringLiteral("dev"), QStringLiteral("secret_access_key"));
    const QString secret = QStringLiteral("test-keychain-secret/K7MDENG+bPxRfiCY");
    QVERIFY(!readNow(store, key, &context).has_value());  // absent: nullopt, not an error
    auto written = writeNow(store, key, secret, &context);
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().message.c_str());
    QCOMPARE(readNow(store, key, &context).value_or(QString()), secret);
    QVERIFY(writeNow(store, key, secret + QStringLiteral("2"), &context).ok());  // overwrite
    QCOMPARE(readNow(store, key, &context).value_or(QString()), secret + QStringLiteral("2"));
    QVERIFY(removeNow(store, key, &context).ok());
    QVERIFY(!readNow(store, key, &context).has_value());
    QVERIFY(removeNow(store, key, &context).ok());  // removing twice is fine
  }

 private Q_SLOTS:
  void keychainRoundTripInGnomeKeyring() {
    if (qEnvironmentVariable(kSessionMarker) != QStringLiteral("1")) {
      const QString why = QStringLiteral("dbus-run-session or gnome-keyring-daemon is not installed");
      if (ciMode()) QFAIL(qPrintable(why));
      QSKIP(qPrintable(why));
    }
    auto store = makeKeychainSecretStore(QStringLiteral("SpotwiseTest"));
    QVERIFY(!store->isPlaintext());
    roundTrip(*store);
    // The secret really is in the Secret Service: the independent libsecret CLI finds it.
    QObject context;
    QVERIFY(writeNow(*store, QStringLiteral("gcp/demo/key_json"), QStringLiteral("test-gcp-key-json"), &context).ok());
    QProcess lookup;
    lookup.start(QStringLiteral("secret-tool"), {QStringLiteral("search"), QStringLiteral("--all"),
                                                QStringLiteral("server"), QStringLiteral("SpotwiseTest")});
    QVERIFY(lookup.waitForFinished(10000));
    const QString listing = QString::fromUtf8(lookup.readAllStandardOutput() + lookup.readAllStandardError());
    QVERIFY2(listing.contains(QStringLiteral("gcp/demo/key_json")), "secret-tool does not see the entry");
    QVERIFY(removeNow(*store, QStringLiteral("gcp/demo/key_json"), &context).ok());
  }

  void plaintextStoreIsLabelledAndPrivate() {
    const QString path = m_dir.filePath(QStringLiteral("secrets.json"));
    auto store = makePlaintextSecretStore(path);
    QVERIFY(store->isPlaintext());
    QVERIFY(store->backendName().contains(QStringLiteral("not encrypted")));
    roundTrip(*store);
    QObject context;
    QVERIFY(writeNow(*store, QStringLiteral("k"), QStringLiteral("test-plain-secret"), &context).ok());
    QCOMPARE(QFile::permissions(path) & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::ReadUser),
             QFileDevice::ReadUser);
  }

  void noAnswerAfterTheContextIsGone() {
    auto store = makePlaintextSecretStore(m_dir.filePath(QStringLiteral("other.json")));
    bool called = false;
    {
      QObject context;
      store->read(QStringLiteral("k"), &context, [&called](Result<std::optional<QString>>) { called = true; });
    }
    QTest::qWait(50);
    QVERIFY(!called);
  }
};

int main(int argc, char** argv) {
  // Re-run inside a private D-Bus session with an unlocked gnome-keyring whose files live in a
  // temporary folder; the session (bus and keyring daemon) ends with this process.
  if (qEnvironmentVariable(kSessionMarker).isEmpty()) {
    const bool available = !QStandardPaths::findExecutable(QStringLiteral("dbus-run-session")).isEmpty() &&
                           !QStandardPaths::findExecutable(QStringLiteral("gnome-keyring-daemon")).isEmpty();
    if (available) {
      QTemporaryDir data;
      data.setAutoRemove(false);  // removed by the shell below once the session has ended
      const QByteArray script =
          "dir=\"$1\"; shift; export XDG_DATA_HOME=\"$dir\" XDG_CONFIG_HOME=\"$dir\" " + QByteArray(kSessionMarker) +
          "=1; printf test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; "
          "\"$@\"; rc=$?; rm -rf \"$dir\"; exit $rc";
      std::vector<QByteArray> args = {"dbus-run-session", "--", "sh", "-c", script, "sh", data.path().toUtf8()};
      for (int i = 0; i < argc; ++i) args.emplace_back(argv[i]);
      std::vector<char*> raw;
      for (auto& a : args) raw.push_back(a.data());
      raw.push_back(nullptr);
      execvp("dbus-run-session", raw.data());
      // exec failed: fall through and let the test skip/fail with its message.
    }
  }
  QCoreApplication app(argc, argv);
  SecretStoreTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "SecretStoreTest.moc"
