// Qt's own messages go through Spotwise's secret redaction: in process (qWarning/qCritical reach
// the handler installed before, redacted) and in the real app (a Qt warning that quotes a bearer
// token, printed by Qt's platform-plugin loader, reaches stderr redacted).
#include <QProcess>

#include <mutex>

#include "TestSupport.h"
#include "core/common/Log.h"
#include "ui/platform/MessageRedaction.h"

namespace {

std::mutex g_mutex;
QStringList g_seen;
QList<QtMsgType> g_types;

void capture(QtMsgType type, const QMessageLogContext&, const QString& message) {
  std::lock_guard lock(g_mutex);
  g_seen << message;
  g_types << type;
}

}  // namespace

class MessageRedactionTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    // What was there before (here: a capture; in the app: Qt's default) receives the redacted text.
    qInstallMessageHandler(capture);
    spotwise::ui::installRedactingMessageHandler();
    spotwise::ui::installRedactingMessageHandler();  // twice is once: no loop through itself
  }

  void init() {
    std::lock_guard lock(g_mutex);
    g_seen.clear();
    g_types.clear();
  }

  void warningsAndCriticalsAreRedacted() {
    qWarning("QNetworkReply: request failed, Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.signature");
    qCritical().noquote() << "token endpoint said" << R"({"access_token":"ya29.a0AfH6SMBx-secret-token","expires_in":3599})";
    qInfo("%s", "upload https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=abcDEF123%2Bsecretsig%3D&se=2030");
    std::lock_guard lock(g_mutex);
    QCOMPARE(g_seen.size(), 3);
    QCOMPARE(g_types, (QList<QtMsgType>{QtWarningMsg, QtCriticalMsg, QtInfoMsg}));
    const QString all = g_seen.join(QLatin1Char('\n'));
    for (const char* secret : {"eyJhbGciOiJSUzI1NiJ9.payload.signature", "ya29.a0AfH6SMBx-secret-token", "abcDEF123%2Bsecretsig%3D"}) {
      QVERIFY2(!all.contains(QLatin1String(secret)), qPrintable(all));
    }
    QVERIFY2(g_seen.at(0).contains(QStringLiteral("QNetworkReply: request failed")), qPrintable(g_seen.at(0)));
    QVERIFY(g_seen.at(0).contains(QStringLiteral("[REDACTED]")));
    QVERIFY(g_seen.at(1).contains(QStringLiteral("expires_in")));  // the rest of the message stays
    QVERIFY(g_seen.at(2).contains(QStringLiteral("acct.blob.core.windows.net")));
  }

  void registeredSecretsAreRedactedInAnyForm() {
    spotwise::registerSecret("hunter2-client-secret-value");
    qWarning() << "QDBus: unexpected reply containing" << "hunter2-client-secret-value" << "from the keychain";
    std::lock_guard lock(g_mutex);
    QCOMPARE(g_seen.size(), 1);
    QVERIFY2(!g_seen.at(0).contains(QStringLiteral("hunter2-client-secret-value")), qPrintable(g_seen.at(0)));
    QVERIFY(g_seen.at(0).contains(QStringLiteral("[REDACTED]")));
    QVERIFY(g_seen.at(0).contains(QStringLiteral("from the keychain")));
  }

  void plainMessagesPassUnchanged() {
    qWarning("QWidget::setMinimumSize: (chart/QChartView) Negative sizes (-1,-1) are not possible");
    std::lock_guard lock(g_mutex);
    QCOMPARE(g_seen, QStringList{QStringLiteral("QWidget::setMinimumSize: (chart/QChartView) Negative sizes (-1,-1) are not possible")});
  }

  void theRealAppRedactsQtsOwnWarnings() {
    // Qt's plugin loader quotes the platform name it was given in a qWarning and a qFatal.
    const QString binary = qEnvironmentVariable("SPOTWISE_BINARY_DIR") + QStringLiteral("/app/spotwise");
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("Bearer sk-live-0123456789abcdefSECRET"));
    env.remove(QStringLiteral("QT_MESSAGE_PATTERN"));
    app.setProcessEnvironment(env);
    app.start(binary, {QStringLiteral("--page"), QStringLiteral("prices")});
    QVERIFY2(app.waitForStarted(), qPrintable(app.errorString()));
    QVERIFY(app.waitForFinished(30000));
    QVERIFY(app.exitStatus() == QProcess::CrashExit || app.exitCode() != 0);  // no such platform: Qt gives up
    const QString err = QString::fromLocal8Bit(app.readAllStandardError());
    QVERIFY2(err.contains(QStringLiteral("platform plugin")), qPrintable(err));
    QVERIFY2(!err.contains(QStringLiteral("0123456789abcdefSECRET"), Qt::CaseInsensitive), qPrintable(err));  // Qt lower-cases it
    QVERIFY2(err.contains(QStringLiteral("[REDACTED]")), qPrintable(err));
  }
};

QTEST_GUILESS_MAIN(MessageRedactionTest)
#include "MessageRedactionTest.moc"
