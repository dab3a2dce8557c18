// Lab: `spotwise-cli sign …` and `auth test aws|gcp|azure` run in-process against real peers
// (moto with SigV4 checking, loopback OAuth/ARM/Resource Manager fixtures). Every output of the
// scenario, logs included, is scanned for the recognisable test secrets it used.
#include <QFile>
#include <QTemporaryDir>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "CliRun.h"
#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/common/Log.h"
#include "core/http/CurlHttpClient.h"
#include "lab/LabPeer.h"

using spotwise::test::runCli;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

const char* const kEnvNames[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                                 "AWS_ENDPOINT_URL_STS", "AWS_REGION", "AWS_DEFAULT_REGION", "GOOGLE_APPLICATION_CREDENTIALS",
                                 "SPOTWISE_GCP_RESOURCE_MANAGER_URL", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
                                 "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID", "AZURE_AUTHORITY_HOST",
                                 "SPOTWISE_AZURE_ARM_URL", "SPOTWISE_TEST_STORAGE_KEY", "HOME"};

}  // namespace

class AuthCommandsTest : public QObject {
  Q_OBJECT

 private:
  std::vector<std::string> m_outputs;  // everything the scenario printed or logged
  std::vector<std::string> m_secrets;  // what must never appear in it
  std::unique_ptr<spotwise::test::LoopbackServer> m_fixture;
  spotwise::http::CurlHttpClient m_client;

  spotwise::test::CliRun record(const std::vector<std::string>& args) {
    auto r = runCli(args);
    m_outputs.push_back(r.out);
    m_outputs.push_back(r.err);
    return r;
  }

  void script(const std::string& path, const nlohmann::json& steps) {
    spotwise::http::Request request;
    request.method = "POST";
    request.url = m_fixture->url("/__script?path=" + path);
    request.body = steps.dump();
    QVERIFY(m_client.send(request).ok());
  }

 private Q_SLOTS:
  void initTestCase() {
    for (const char* name : kEnvNames) unsetenv(name);
    setenv("HOME", "/nonexistent-home", 1);
    spotwise::setLogSink([this](spotwise::LogLevel, std::string_view line) { m_outputs.emplace_back(line); });
    m_fixture = std::make_unique<spotwise::test::LoopbackServer>(spotwise::test::LoopbackServer::httpFixture());
    QVERIFY(m_fixture->running());
  }

  void signAwsPrintsHeadersAndPresignedUrls() {
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    m_secrets.push_back("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    auto r = record({"sign", "aws", "--url", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "--region",
                     "us-east-1", "--service", "service", "--time", "20150830T123600Z"});
    QCOMPARE(r.code, 0);
    const auto headers = nlohmann::json::parse(r.out)["headers"];
    const std::string expected = spotwise::test::readText(spotwise::test::sourceDir() /
                                                          "tests/data/signing/aws-sigv4/aws-c-auth-v4/get-vanilla-query-order-key-case/header-signature.txt");
    QVERIFY(contains(headers["Authorization"].get<std::string>(), "Signature=" + expected.substr(0, 64)));
    QCOMPARE(headers["X-Amz-Date"].get<std::string>(), std::string("20150830T123600Z"));

    r = record({"sign", "aws", "--url", "https://example.amazonaws.com/", "--region", "us-east-1", "--service", "service",
                "--time", "20150830T123600Z", "--presign", "3600"});
    QCOMPARE(r.code, 0);
    QVERIFY(contains(nlohmann::json::parse(r.out)["url"].get<std::string>(), "X-Amz-Expires=3600&"));

    r = record({"sign", "aws", "--url", "https://x/", "--region", "r", "--service", "s", "--time", "2015-08-30"});
    QCOMPARE(r.code, 1);
    QVERIFY(contains(r.err, "--time '2015-08-30' is not YYYYMMDDTHHMMSSZ"));
    unsetenv("AWS_SECRET_ACCESS_KEY");
    r = record({"sign", "aws", "--url", "https://x/", "--region", "r", "--service", "s"});
    QCOMPARE(r.code, 1);
    QVERIFY(contains(r.err, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set"));
  }

  void signAzureSasPrintsTheQuery() {
    setenv("SPOTWISE_TEST_STORAGE_KEY", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", 1);
    m_secrets.push_back("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq");
    auto r = record({"sign", "azure-sas", "--account", "devstoreaccount1", "--key-env", "SPOTWISE_TEST_STORAGE_KEY", "--container",
                     "cont1", "--permissions", "l", "--expiry", "2030-01-01T00:00:00Z"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, std::string("se=2030-01-01T00%3A00%3A00Z&sp=l&sv=2021-12-02&sr=c&sig=SrcZ1nOlSdwgv3Ke2ejZCE5E7JFFK4N8K4tFLAV1uwA%3D\n"));
    r = record({"sign", "azure-sas", "--account", "devstoreaccount1", "--key-env", "SPOTWISE_TEST_STORAGE_KEY", "--container",
                "jobs", "--prefix", "runs/job-42", "--permissions", "rcwl", "--expiry", "2030-01-01T00:00:00Z", "--https-only"});
    QCOMPARE(r.code, 0);
    QVERIFY(contains(r.out, "sp=rcwl&spr=https&sv=2021-12-02&sr=d&sdd=2&sig="));
    r = record({"sign", "azure-sas", "--account", "a", "--key-env", "SPOTWISE_TEST_STORAGE_KEY", "--container", "c",
                "--permissions", "rq", "--expiry", "2030-01-01T00:00:00Z"});
    QCOMPARE(r.code, 1);
    QVERIFY(contains(r.err, "unknown permission 'q'"));
  }

  void authTestAwsAgainstMoto() {
    const auto moto = spotwise::test::motoStsPeer();
    SPOTWISE_REQUIRE_PEER(*moto);
    const std::string secret = moto->value("secretAccessKey");
    m_secrets.push_back(secret);
    setenv("AWS_ACCESS_KEY_ID", moto->value("accessKeyId").c_str(), 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret.c_str(), 1);
    setenv("AWS_ENDPOINT_URL_STS", ("http://127.0.0.1:" + std::to_string(moto->number("port"))).c_str(), 1);
    auto r = record({"auth", "test", "aws", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    const auto report = nlohmann::json::parse(r.out);
    QCOMPARE(report["identity"].get<std::string>(), moto->value("userArn"));
    QCOMPARE(report["account"].get<std::string>(), std::string("123456789012"));
    QCOMPARE(report["source"].get<std::string>(), std::string("environment"));

    std::string wrong = secret;
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    m_secrets.push_back(wrong);
    setenv("AWS_SECRET_ACCESS_KEY", wrong.c_str(), 1);
    r = record({"auth", "test", "aws"});
    QCOMPARE(r.code, 1);
    QVERIFY2(contains(r.err, "unauthenticated: STS GetCallerIdentity at http://127.0.0.1:"), r.err.c_str());
    QVERIFY(contains(r.err, "HTTP 403"));
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_ENDPOINT_URL_STS");
  }

  void authTestGcpWithAKeyFile() {
    const auto v = nlohmann::json::parse(spotwise::test::readText(spotwise::test::sourceDir() /
                                                                  "tests/data/signing/gcp-jwt/rs256-service-account-vectors.json"));
    const std::string pem = v["private_key_pem"];
    m_secrets.push_back(pem.substr(40, 64));  // a piece of the key body
    QTemporaryDir dir;
    const QString keyPath = dir.filePath(QStringLiteral("sa.json"));
    QFile key(keyPath);
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.write(QByteArray::fromStdString(nlohmann::json{{"type", "service_account"}, {"project_id", "demo-project"},
                                                       {"private_key_id", v["private_key_id"]}, {"private_key", pem},
                                                       {"client_email", "test-sa@demo-project.iam.gserviceaccount.com"},
                                                       {"token_uri", m_fixture->url("/gcp/token")}}
                                            .dump()));
    key.close();
    setenv("GOOGLE_APPLICATION_CREDENTIALS", keyPath.toUtf8().constData(), 1);
    setenv("SPOTWISE_GCP_RESOURCE_MANAGER_URL", m_fixture->url("/crm").c_str(), 1);
    m_secrets.push_back("ya29.test-gcp-access-token");
    script("/gcp/token", nlohmann::json::array({{{"status", 200}, {"body", R"({"access_token":"ya29.test-gcp-access-token","expires_in":3599})"}}}));
    script("/crm/v1/projects/demo-project",
           nlohmann::json::array({{{"status", 200}, {"body", R"({"projectId":"demo-project","name":"Demo","lifecycleState":"ACTIVE"})"}},
                                  {{"status", 403}, {"body", R"({"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}})"}}}));
    auto r = record({"auth", "test", "gcp"});
    QVERIFY2(r.code == 0, r.err.c_str());
    QVERIFY(contains(r.out, "identity: test-sa@demo-project.iam.gserviceaccount.com"));
    QVERIFY(contains(r.out, "account:  demo-project"));
    r = record({"auth", "test", "gcp"});
    QCOMPARE(r.code, 1);
    QVERIFY2(contains(r.err, "permission-denied: GCP projects.get demo-project"), r.err.c_str());

    // A key without private_key, with the file named in the error.
    QFile broken(keyPath);
    QVERIFY(broken.open(QIODevice::WriteOnly | QIODevice::Truncate));
    broken.write(R"({"type": "service_account", "client_email": "x@y", "private_key_id": "k"})");
    broken.close();
    r = record({"auth", "test", "gcp"});
    QCOMPARE(r.code, 1);
    QVERIFY(contains(r.err, keyPath.toStdString() + ": no \"private_key\" field"));
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
  }

  void authTestAzureWithAServicePrincipal() {
    setenv("AZURE_TENANT_ID", "tenant-9", 1);
    setenv("AZURE_CLIENT_ID", "client-9", 1);
    setenv("AZURE_CLIENT_SECRET", "test-azure-client-secret-9", 1);
    setenv("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000009", 1);
    setenv("AZURE_AUTHORITY_HOST", m_fixture->url("").c_str(), 1);
    setenv("SPOTWISE_AZURE_ARM_URL", m_fixture->url("/arm").c_str(), 1);
    m_secrets.push_back("test-azure-client-secret-9");
    m_secrets.push_back("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.test-azure-token");
    script("/tenant-9/oauth2/v2.0/token",
           nlohmann::json::array({{{"status", 200}, {"body", R"({"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.test-azure-token"})"}},
                                  {{"status", 401}, {"body", R"({"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired."})"}}}));
    script("/arm/subscriptions/00000000-0000-0000-0000-000000000009",
           nlohmann::json::array({{{"status", 200}, {"body", R"({"subscriptionId":"00000000-0000-0000-0000-000000000009","displayName":"Lab","state":"Enabled"})"}}}));
    auto r = record({"auth", "test", "azure", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    QCOMPARE(nlohmann::json::parse(r.out)["detail"].get<std::string>(), std::string("Lab (Enabled)"));
    r = record({"auth", "test", "azure"});
    QCOMPARE(r.code, 1);
    QVERIFY2(contains(r.err, "AADSTS7000222: The provided client secret keys are expired."), r.err.c_str());
  }

  void noSecretInAnyOutput() {
    QVERIFY(m_outputs.size() >= 20);
    QVERIFY(m_secrets.size() >= 7);
    for (const auto& output : m_outputs)
      for (const auto& secret : m_secrets) QVERIFY2(!contains(output, secret), "a test secret appeared in the output");
  }

  void cleanupTestCase() {
    spotwise::resetLogSink();
    m_fixture.reset();
  }
};

QTEST_APPLESS_MAIN(AuthCommandsTest)
#include "AuthCommandsTest.moc"
