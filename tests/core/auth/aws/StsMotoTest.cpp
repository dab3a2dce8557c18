// Lab: STS against moto with signature checking on (GetCallerIdentity, a wrong secret refused,
// a role profile assumed through source_profile), and the clock-skew retry over loopback.
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "LoopbackServer.h"
#include "core/auth/TokenSource.h"
#include "core/auth/Url.h"
#include "core/auth/aws/AwsConfig.h"
#include "core/common/Time.h"
#include "core/http/CurlHttpClient.h"
#include "lab/LabPeer.h"

using namespace spotwise;
using namespace spotwise::auth::aws;

namespace {
bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }
}  // namespace

class StsMotoTest : public QObject {
  Q_OBJECT

 private:
  std::unique_ptr<test::LabPeer> m_moto;
  http::CurlHttpClient m_client;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_moto->number("port")) + "/"; }
  AwsCredentials labCredentials() const { return {m_moto->value("accessKeyId"), m_moto->value("secretAccessKey"), {}}; }

 private Q_SLOTS:
  void initTestCase() {
    m_moto = test::motoStsPeer();
    SPOTWISE_REQUIRE_PEER(*m_moto);
  }

  void cleanupTestCase() { m_moto.reset(); }

  void callerIdentityWithValidKeys() {
    auto identity = getCallerIdentity(m_client, labCredentials(), endpoint(), "us-east-1");
    QVERIFY2(identity.ok(), identity.ok() ? "" : identity.error().toString().c_str());
    QCOMPARE(identity->arn, m_moto->value("userArn"));
    QCOMPARE(identity->account, std::string("123456789012"));
  }

  void wrongSecretIsRefused() {
    AwsCredentials wrong = labCredentials();
    wrong.secretAccessKey[3] = wrong.secretAccessKey[3] == 'a' ? 'b' : 'a';
    auto refused = getCallerIdentity(m_client, wrong, endpoint(), "us-east-1");
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::Unauthenticated);
    QVERIFY2(contains(refused.error().message, "STS GetCallerIdentity at " + endpoint() + ": HTTP 403"),
             refused.error().message.c_str());
    QVERIFY(!contains(refused.error().toString(), wrong.secretAccessKey));
    auto unknown = getCallerIdentity(m_client, AwsCredentials{"AKIAUNKNOWNKEY000000", "test-unknown-secret", {}}, endpoint(), "us-east-1");
    QCOMPARE(unknown.error().code, ErrorCode::Unauthenticated);
  }

  void roleProfileIsAssumedThroughSourceProfile() {
    QTemporaryDir home;
    QDir().mkpath(home.filePath(QStringLiteral(".aws")));
    QFile credentials(home.filePath(QStringLiteral(".aws/credentials")));
    QVERIFY(credentials.open(QIODevice::WriteOnly));
    credentials.write(QByteArray::fromStdString("[base]\naws_access_key_id = " + m_moto->value("accessKeyId") +
                                                "\naws_secret_access_key = " + m_moto->value("secretAccessKey") +
                                                "\n"));
    credentials.close();
    QFile config(home.filePath(QStringLiteral(".aws/config")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(
        QByteArray::fromStdString("[profile launcher]\nrole_arn = " + m_moto->value("roleArn") +
                                  "\nsource_profile = base\nregion = us-west-2\nrole_session_name = spotwise-test\n"));
    config.close();
    const std::map<std::string, std::string> env = {{"HOME", home.path().toStdString()}, {"AWS_ENDPOINT_URL_STS", endpoint()}};
    AwsResolverOptions options;
    options.env = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    options.client = &m_client;
    auto resolved = resolveAwsCredentials(options, std::string("launcher"));
    QVERIFY2(resolved.ok(), resolved.ok() ? "" : resolved.error().toString().c_str());
    QVERIFY(!resolved->credentials.sessionToken.empty());
    QVERIFY(resolved->expiresAtUnix.has_value());
    QCOMPARE(resolved->region, std::string("us-west-2"));
    QVERIFY(contains(resolved->source, "assume role " + m_moto->value("roleArn")));
    auto identity = getCallerIdentity(m_client, resolved->credentials, endpoint(), "us-west-2");
    QVERIFY2(identity.ok(), identity.ok() ? "" : identity.error().toString().c_str());
    QVERIFY2(contains(identity->arn, "assumed-role/spotwise-launcher/spotwise-test"), identity->arn.c_str());
  }

  void clockSkewIsLearnedAndRetriedOnce() {
    test::LoopbackServer server = test::LoopbackServer::httpFixture();
    QVERIFY(server.running());
    http::Request scriptRequest;
    scriptRequest.method = "POST";
    scriptRequest.url = server.url("/__script?path=/sts");
    // Our clock is 20 minutes behind the server's (which sends its real time in Date).
    scriptRequest.body = nlohmann::json::array(
        {{{"status", 403},
          {"body", "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>Signature expired: 20240101T000000Z is "
                   "now earlier than 20240101T001500Z (20240101T002000Z - 5 min.)</Message></Error></ErrorResponse>"}},
         {{"status", 200}, {"body", "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/x</Arn>"
                                    "<Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"}}})
                             .dump();
    QVERIFY(m_client.send(scriptRequest).ok());
    auto slowClock = [] { return auth::systemUnixNow() - 1200; };
    auto identity = getCallerIdentity(m_client, labCredentials(), server.url("/sts"), "us-east-1", {}, slowClock);
    QVERIFY2(identity.ok(), identity.ok() ? "" : identity.error().toString().c_str());
    const std::int64_t serverNow = auth::systemUnixNow();
    http::Request list;
    list.url = server.url("/__requests");
    const auto seen = nlohmann::json::parse(m_client.send(list)->body);
    QCOMPARE(int(seen.size()), 2);
    const std::string firstDate = seen[0]["headers"]["X-Amz-Date"];
    const std::string secondDate = seen[1]["headers"]["X-Amz-Date"];
    auto unixOf = [](const std::string& d) {  // 20240101T002000Z → Unix seconds
      return *parseIso8601Utc(d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) + "T" + d.substr(9, 2) + ":" +
                              d.substr(11, 2) + ":" + d.substr(13, 2) + "Z");
    };
    QVERIFY(std::abs(unixOf(firstDate) - (serverNow - 1200)) <= 5);   // our slow clock
    QVERIFY(std::abs(unixOf(secondDate) - serverNow) <= 5);           // re-signed at the server's time
  }
};

QTEST_APPLESS_MAIN(StsMotoTest)
#include "StsMotoTest.moc"
