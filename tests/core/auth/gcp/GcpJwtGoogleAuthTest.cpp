// Lab: Spotwise's service-account assertions verified by google-auth's jwt.decode (Debian
// python3-google-auth under /usr/bin/python3 and/or the google-auth 2.x bundled with gcloud).
#include "TestSupport.h"

#include <QFileInfo>
#include <QProcess>

#include <nlohmann/json.hpp>

#include "core/auth/TokenSource.h"
#include "core/auth/gcp/GcpCredentials.h"

using namespace spotwise;
using namespace spotwise::auth;
using namespace spotwise::auth::gcp;

namespace {

struct Interpreter {
  QString program;
  QStringList pathPrefix;  // PYTHONPATH
};

std::vector<Interpreter> interpreters() {
  std::vector<Interpreter> out;
  if (QFileInfo::exists(QStringLiteral("/usr/bin/python3"))) out.push_back({QStringLiteral("/usr/bin/python3"), {}});
  for (const QString& root : {QStringLiteral("/usr/lib/google-cloud-sdk"), QStringLiteral("/usr/share/google-cloud-sdk")}) {
    const QString python = root + QStringLiteral("/platform/bundledpythonunix/bin/python3");
    if (QFileInfo::exists(python)) out.push_back({python, {root + QStringLiteral("/lib/third_party")}});
  }
  return out;
}

}  // namespace

class GcpJwtGoogleAuthTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void googleAuthVerifiesOurAssertions() {
    const auto v = nlohmann::json::parse(
        test::readText(test::sourceDir() / "tests/data/signing/gcp-jwt/rs256-service-account-vectors.json"));
    const nlohmann::json keyJson = {{"type", "service_account"}, {"private_key_id", v["private_key_id"]},
                                    {"private_key", v["private_key_pem"]},
                                    {"client_email", "test-sa@demo-project.iam.gserviceaccount.com"},
                                    {"token_uri", "https://oauth2.googleapis.com/token"}};
    auto key = parseServiceAccountKey(keyJson.dump(), "key.json");
    QVERIFY(key.ok());
    // google-auth checks iat/exp against its own clock, so sign at the real time.
    auto good = makeAssertion(*key, {"https://www.googleapis.com/auth/compute"}, systemUnixNow());
    QVERIFY(good.ok());
    std::string tampered = *good;
    tampered[tampered.find('.') + 5] ^= 1;  // a flipped bit in the claims
    auto stale = makeAssertion(*key, {"https://www.googleapis.com/auth/compute"}, systemUnixNow() - 7200);
    QVERIFY(stale.ok());
    const nlohmann::json input = {{"certificate", v["certificate_pem"]}, {"kid", v["private_key_id"]},
                                  {"audience", "https://oauth2.googleapis.com/token"},
                                  {"tokens", {*good, tampered, *stale}}};

    int verifiedWith = 0;
    QStringList missing;
    for (const Interpreter& interpreter : interpreters()) {
      QProcess python;
      QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
      if (!interpreter.pathPrefix.isEmpty()) env.insert(QStringLiteral("PYTHONPATH"), interpreter.pathPrefix.join(u':'));
      python.setProcessEnvironment(env);
      python.start(interpreter.program,
                   {QString::fromStdString((test::sourceDir() / "tests/core/auth/gcp/google_auth_verify.py").string())});
      QVERIFY(python.waitForStarted(10000));
      python.write(QByteArray::fromStdString(input.dump()));
      python.closeWriteChannel();
      QVERIFY(python.waitForFinished(60000));
      if (python.exitCode() == 3) {
        missing << interpreter.program;
        continue;
      }
      QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
      const auto output = nlohmann::json::parse(python.readAllStandardOutput().toStdString());
      const auto& results = output["results"];
      QVERIFY2(results[0]["ok"].get<bool>(), results[0].dump().c_str());
      QCOMPARE(results[0]["claims"]["iss"].get<std::string>(), key->clientEmail);
      QCOMPARE(results[0]["claims"]["scope"].get<std::string>(), std::string("https://www.googleapis.com/auth/compute"));
      QVERIFY2(!results[1]["ok"].get<bool>(), "google-auth accepted a tampered assertion");
      QVERIFY2(!results[2]["ok"].get<bool>(), "google-auth accepted an expired assertion");
      qInfo("google-auth %s (%s) verified the assertion and refused the tampered and expired ones",
            output["google_auth"].get<std::string>().c_str(), qPrintable(interpreter.program));
      ++verifiedWith;
    }
    if (verifiedWith == 0) {
      const QString why = QStringLiteral("google-auth is not available (python3-google-auth or gcloud); tried: ") +
                          missing.join(QStringLiteral(", "));
      if (qEnvironmentVariable("CI") == QStringLiteral("true")) QFAIL(qPrintable(why));
      QSKIP(qPrintable(why));
    }
  }
};

QTEST_APPLESS_MAIN(GcpJwtGoogleAuthTest)
#include "GcpJwtGoogleAuthTest.moc"
