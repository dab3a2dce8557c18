// The keychain absent or locked: SecretStore and the Accounts page say so clearly, a read is an
// error (never "no such secret"), and nothing ever falls back to a plaintext file.
// Each case runs this binary again in a real D-Bus session that the test starts itself:
//   absent  a private session bus that provides no org.freedesktop.secrets (no service files)
//   no bus  no session bus at all (DBUS_SESSION_BUS_ADDRESS points nowhere)
//   locked  a real gnome-keyring whose login collection is locked over D-Bus (Secret Service Lock)
// HOME and the XDG folders of the child are a temporary folder that is searched for the secret.
#include <QApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "core/http/CurlHttpClient.h"
#include "ui/accounts/AccountsPage.h"
#include "ui/platform/SecretStore.h"

using namespace spotwise;
using namespace spotwise::ui;

namespace {

constexpr const char* kFaultVariable = "SPOTWISE_KEYCHAIN_FAULT";
const QString kSecret = QStringLiteral("test-keychain-fault-secret/K7MDENG+bPx");
const QString kService = QStringLiteral("SpotwiseFaultTest");

bool ciMode() { return qEnvironmentVariable("CI") == QStringLiteral("true"); }

// A session bus configuration without any service directory: nothing can be activated on it.
// (Plain string literals: moc does not parse raw strings.)
constexpr const char* kBareBusConfig =
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig>\n"
    "  <type>session</type>\n"
    "  <listen>unix:tmpdir=/tmp</listen>\n"
    "  <auth>EXTERNAL</auth>\n"
    "  <policy context=\"default\">\n"
    "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
    "    <allow eavesdrop=\"true\"/>\n"
    "    <allow own=\"*\"/>\n"
    "  </policy>\n"
    "</busconfig>\n";

}  // namespace

/** The checks, run inside the faulted session (SPOTWISE_KEYCHAIN_FAULT set). */
class KeychainFaultChecks : public QObject {
  Q_OBJECT

  static Result<void> writeNow(SecretStore& store, const QString& key, const QString& secret) {
    QObject context;
    std::optional<Result<void>> outcome;
    store.write(key, secret, &context, [&outcome](Result<void> r) { outcome = std::move(r); });
    (void)QTest::qWaitFor([&] { return outcome.has_value(); }, 30000);
    return outcome.value_or(makeError(ErrorCode::DeadlineExceeded, "no answer from the keychain in 30 s"));
  }

  static Result<std::optional<QString>> readNow(SecretStore& store, const QString& key) {
    QObject context;
    std::optional<Result<std::optional<QString>>> outcome;
    store.read(key, &context, [&outcome](Result<std::optional<QString>> r) { outcome = std::move(r); });
    (void)QTest::qWaitFor([&] { return outcome.has_value(); }, 30000);
    return outcome.value_or(makeError(ErrorCode::DeadlineExceeded, "no answer from the keychain in 30 s"));
  }

  /** No file under HOME (where XDG_* also point) holds the secret: no plaintext fallback. */
  static void verifyNotOnDisk() {
    QDirIterator files(qEnvironmentVariable("HOME"), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (files.hasNext()) {
      QFile file(files.next());
      if (!file.open(QIODevice::ReadOnly)) continue;
      QVERIFY2(!file.readAll().contains(kSecret.toUtf8()), qPrintable(QStringLiteral("secret written to ") + file.fileName()));
    }
  }

  static QString fault() { return qEnvironmentVariable(kFaultVariable); }

  void verifyClear(const Error& error, const char* what) {
    const QString message = QString::fromStdString(error.message);
    QVERIFY2(message.contains(QStringLiteral("keychain"), Qt::CaseInsensitive), qPrintable(message));
    if (fault() == QStringLiteral("locked")) {
      QVERIFY2(message.contains(QStringLiteral("locked")), qPrintable(message));
      QCOMPARE(error.code, ErrorCode::PermissionDenied);
    } else {
      QVERIFY2(message.contains(QStringLiteral("no keychain")), qPrintable(message));
      QCOMPARE(error.code, ErrorCode::FailedPrecondition);
    }
    QVERIFY2(!message.contains(kSecret), what);
  }

 private Q_SLOTS:
  void initTestCase() {
    if (fault() != QStringLiteral("locked")) return;
    // A real entry first, then the collection locked the way a screen lock or timeout does.
    auto store = makeKeychainSecretStore(kService);
    const auto written = writeNow(*store, QStringLiteral("aws/default/secret_access_key"), QStringLiteral("stored-before-lock"));
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().message.c_str());
    QProcess lock;
    lock.start(QStringLiteral("gdbus"),
               {QStringLiteral("call"), QStringLiteral("--session"), QStringLiteral("--dest"), QStringLiteral("org.freedesktop.secrets"),
                QStringLiteral("--object-path"), QStringLiteral("/org/freedesktop/secrets"), QStringLiteral("--method"),
                QStringLiteral("org.freedesktop.Secret.Service.Lock"),
                QStringLiteral("[objectpath '/org/freedesktop/secrets/collection/login']")});
    QVERIFY(lock.waitForFinished(20000));
    QVERIFY2(lock.exitCode() == 0, lock.readAllStandardError().constData());
  }

  void writeFailsClearlyAndNothingIsStoredInPlaintext() {
    auto store = makeKeychainSecretStore(kService);
    QVERIFY(!store->isPlaintext());
    const auto written = writeNow(*store, QStringLiteral("aws/dev/secret_access_key"), kSecret);
    QVERIFY(!written.ok());
    verifyClear(written.error(), "the secret is in the error message");
    verifyNotOnDisk();
  }

  void readIsAnErrorNotAMissingEntry() {
    auto store = makeKeychainSecretStore(kService);
    const auto read = readNow(*store, QStringLiteral("aws/default/secret_access_key"));
    QVERIFY2(!read.ok(), "a keychain that cannot be read answered 'no such entry'");
    verifyClear(read.error(), "read");
  }

  void accountsPageSaysSoAndSavesNothing() {
    QTemporaryDir dir;
    auto store = makeKeychainSecretStore(kService);
    QSettings settings(dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
    AccountsPage page(
        *store, settings, [](const std::string&) -> std::optional<std::string> { return std::nullopt; },
        [] { return std::make_unique<http::CurlHttpClient>(); });
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    auto* key = page.findChild<QLineEdit*>(QStringLiteral("awsAccessKeyLineEdit"));
    auto* secret = page.findChild<QLineEdit*>(QStringLiteral("awsSecretLineEdit"));
    auto* result = page.findChild<QLabel*>(QStringLiteral("awsResultLabel"));
    QVERIFY(key && secret && result);
    QTest::keyClicks(key, QStringLiteral("AKIATESTKEY12345WXYZ"));
    QTest::keyClicks(secret, kSecret);
    QTest::mouseClick(page.findChild<QPushButton*>(QStringLiteral("awsSaveButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!result->text().isEmpty(), 30000);
    const QString shown = result->text();
    QVERIFY2(shown.contains(QStringLiteral("keychain"), Qt::CaseInsensitive) && !shown.contains(kSecret), qPrintable(shown));
    QVERIFY2(shown.contains(fault() == QStringLiteral("locked") ? QStringLiteral("locked") : QStringLiteral("no keychain")),
             qPrintable(shown));
    settings.sync();
    QVERIFY2(!settings.contains(QStringLiteral("accounts/aws/accessKeyId")), "the key was recorded as saved");
    QVERIFY(!page.findChild<QLabel*>(QStringLiteral("awsSourceLabel"))->text().contains(QStringLiteral("AKIA")));
    verifyNotOnDisk();
  }
};

/** Starts the faulted sessions and checks that the checks above passed in each. */
class KeychainFaultTest : public QObject {
  Q_OBJECT
  QTemporaryDir m_home;

  void runChild(const QString& fault, const QString& program, const QStringList& arguments, QProcessEnvironment env) {
    QTemporaryDir home;
    env.insert(QString::fromLatin1(kFaultVariable), fault);
    env.insert(QStringLiteral("HOME"), home.path());
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral(".config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral(".local/share")));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), home.filePath(QStringLiteral(".cache")));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), home.path());
    QProcess child;
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(program, arguments);
    QVERIFY2(child.waitForStarted(10000), qPrintable(program));
    const bool finished = child.waitForFinished(100000);
    const QString output = QString::fromUtf8(child.readAll());
    if (!finished) child.kill();
    QVERIFY2(finished, qPrintable(output));
    QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0, qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral(" passed, 0 failed, 0 skipped")), qPrintable(output));
  }

  static bool have(const char* program) { return !QStandardPaths::findExecutable(QString::fromLatin1(program)).isEmpty(); }

  static void requireTools(std::initializer_list<const char*> programs) {
    for (const char* p : programs) {
      if (have(p)) continue;
      const QString why = QStringLiteral("%1 is not installed").arg(QString::fromLatin1(p));
      if (ciMode()) QFAIL(qPrintable(why));
      QSKIP(qPrintable(why));
    }
  }

 private Q_SLOTS:
  void noSecretServiceOnTheBus() {
    requireTools({"dbus-run-session"});
    QFile config(m_home.filePath(QStringLiteral("bare-session.conf")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(kBareBusConfig);
    config.close();
    runChild(QStringLiteral("absent"), QStringLiteral("dbus-run-session"),
             {QStringLiteral("--config-file=") + config.fileName(), QStringLiteral("--"), QCoreApplication::applicationFilePath()},
             QProcessEnvironment::systemEnvironment());
  }

  void noSessionBusAtAll() {
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), QStringLiteral("unix:path=") + m_home.filePath(QStringLiteral("no-bus")));
    env.remove(QStringLiteral("DISPLAY"));  // no X11 autolaunch either
    runChild(QStringLiteral("absent"), QCoreApplication::applicationFilePath(), {}, env);
  }

  void lockedGnomeKeyring() {
    requireTools({"dbus-run-session", "gnome-keyring-daemon", "gdbus"});
    const QString script = QStringLiteral(
        "printf test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec \"$@\"");
    runChild(QStringLiteral("locked"), QStringLiteral("dbus-run-session"),
             {QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"), script, QStringLiteral("sh"),
              QCoreApplication::applicationFilePath()},
             QProcessEnvironment::systemEnvironment());
  }
};

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QStandardPaths::setTestModeEnabled(true);
  if (!qEnvironmentVariableIsEmpty(kFaultVariable)) {
    KeychainFaultChecks checks;
    return QTest::qExec(&checks, argc, argv);
  }
  KeychainFaultTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "KeychainFaultTest.moc"
