// Single-instance behaviour with real processes: this test and the real `spotwise` binary take
// turns being the running instance, in a private runtime folder; crashed instances and garbage
// on the socket do not lock users out.
#include <QFile>
#include <QLocalSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>

#include "TestSupport.h"
#include "core/common/Version.h"
#include "ui/platform/SingleInstance.h"

using spotwise::ui::SingleInstance;

class SingleInstanceTest : public QObject {
  Q_OBJECT

 private:
  static QString appId() { return QString::fromLatin1(spotwise::kAppId); }

  // The real app, started with `dir` as its runtime folder (where its lock and socket go).
  static void startApp(QProcess& app, const QTemporaryDir& dir) {
    const QString binary = qEnvironmentVariable("SPOTWISE_BINARY_DIR") + QStringLiteral("/app/spotwise");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), dir.path());
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    app.setProcessEnvironment(env);
    app.start(binary, {});
    QVERIFY2(app.waitForStarted(), qPrintable(binary + QStringLiteral(": ") + app.errorString()));
  }

  static void stop(QProcess& app) {
    if (app.state() == QProcess::NotRunning) return;
    app.kill();
    app.waitForFinished();
  }

 private Q_SLOTS:
  void aSecondLaunchActivatesTheRunningInstance() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    SingleInstance running(appId(), dir.path());
    QCOMPARE(running.start({}), SingleInstance::Role::Primary);
    QVERIFY(QFile::exists(running.serverName()));
    QSignalSpy activations(&running, &SingleInstance::activationRequested);

    QProcess second;
    startApp(second, dir);
    // The second launch waits for our answer, so keep the event loop turning while it talks.
    QTRY_COMPARE_WITH_TIMEOUT(activations.count(), 1, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(second.state(), QProcess::NotRunning, 15000);  // may have ended already
    QCOMPARE(second.exitStatus(), QProcess::NormalExit);
    QCOMPARE(second.exitCode(), 0);
    QVERIFY2(second.readAllStandardError().contains("already running"), "the second launch says why it exits");
    const QStringList arguments = activations.at(0).at(0).toStringList();
    QVERIFY(!arguments.isEmpty());
    QVERIFY(arguments.first().endsWith(QStringLiteral("spotwise")));
  }

  void theRunningAppAnswersALaterLaunch() {
    QTemporaryDir dir;
    QProcess app;
    startApp(app, dir);
    const QString socket = dir.filePath(appId() + QStringLiteral(".socket"));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(socket), 15000);

    SingleInstance later(appId(), dir.path());
    const auto role = later.start({QStringLiteral("spotwise")}, 10000);
    const QString error = later.errorString();
    QCOMPARE(app.state(), QProcess::Running);  // the running app stays
    stop(app);
    QVERIFY2(role == SingleInstance::Role::Secondary, qPrintable(error));
  }

  void aCrashedInstanceDoesNotLockUsersOut() {
    QTemporaryDir dir;
    QProcess app;
    startApp(app, dir);
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(dir.filePath(appId() + QStringLiteral(".socket"))), 15000);
    app.kill();  // SIGKILL: lock file and socket stay behind
    QVERIFY(app.waitForFinished());
    QVERIFY(QFile::exists(dir.filePath(appId() + QStringLiteral(".lock"))));

    SingleInstance next(appId(), dir.path());
    QCOMPARE(next.start({}, 2000), SingleInstance::Role::Primary);
    QVERIFY(QFile::exists(next.serverName()));
  }

  void garbageOnTheSocketIsDropped() {
    QTemporaryDir dir;
    SingleInstance running(appId(), dir.path());
    QCOMPARE(running.start({}), SingleInstance::Role::Primary);
    QSignalSpy activations(&running, &SingleInstance::activationRequested);

    QLocalSocket flood;
    flood.connectToServer(running.serverName());
    QVERIFY(flood.waitForConnected(2000));
    flood.write(QByteArray(SingleInstance::kMaxMessageBytes + 1024, 'x'));  // no newline, ever
    QTRY_COMPARE_WITH_TIMEOUT(flood.state(), QLocalSocket::UnconnectedState, 5000);

    QLocalSocket notJson;
    notJson.connectToServer(running.serverName());
    QVERIFY(notJson.waitForConnected(2000));
    notJson.write("{\"not\": \"a list\"}\n");
    QTRY_COMPARE_WITH_TIMEOUT(notJson.state(), QLocalSocket::UnconnectedState, 5000);
    QCOMPARE(activations.count(), 0);

    // ...and the next well-formed request is still served.
    QLocalSocket good;
    good.connectToServer(running.serverName());
    QVERIFY(good.waitForConnected(2000));
    good.write("[\"spotwise\",\"--x\"]\n");
    QTRY_COMPARE_WITH_TIMEOUT(activations.count(), 1, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(good.bytesAvailable() >= 3, 5000);
    QCOMPARE(good.readAll(), QByteArray("ok\n"));
    QCOMPARE(activations.at(0).at(0).toStringList(), (QStringList{QStringLiteral("spotwise"), QStringLiteral("--x")}));
  }

  void anUnusableFolderStillStartsTheApp() {
    SingleInstance instance(appId(), QStringLiteral("/proc/spotwise-no-such-folder"));
    QCOMPARE(instance.start({}), SingleInstance::Role::Standalone);
    QVERIFY(instance.errorString().contains(QStringLiteral("/proc/spotwise-no-such-folder")));
  }
};

QTEST_MAIN(SingleInstanceTest)
#include "SingleInstanceTest.moc"
