// AWS credential sources: environment, ~/.aws/credentials and ~/.aws/config profiles with the AWS
// CLI's precedence, credential_process (a real child process) and the errors for bad files.
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include "core/auth/FakeHttpClient.h"
#include "core/auth/aws/AwsConfig.h"

using namespace spotwise;
using namespace spotwise::auth::aws;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

class AwsConfigTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_home;
  std::map<std::string, std::string> m_env;

  AwsResolverOptions options() {
    AwsResolverOptions o;
    o.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = m_env.find(name);
      if (it == m_env.end()) return std::nullopt;
      return it->second;
    };
    o.runProcess = systemProcessRunner();
    o.nowUnix = 1716508800;  // 2024-05-24
    return o;
  }
  QString awsFile(const char* name) { return m_home.filePath(QStringLiteral(".aws/")) + QString::fromLatin1(name); }

 private Q_SLOTS:
  void init() {
    QDir(m_home.path()).removeRecursively();
    QDir().mkpath(m_home.filePath(QStringLiteral(".aws")));
    m_env = {{"HOME", m_home.path().toStdString()}};
    test::writeFile(awsFile("credentials"),
              "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = test-secret-default\n\n"
              "[dev]\r\naws_access_key_id=AKIDDEV\r\naws_secret_access_key=test-secret-dev\r\naws_session_token = test-token-dev\r\n"
              "[proc]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
              "\"test-secret-proc\", \"SessionToken\": \"tok\", \"Expiration\": \"2030-01-01T00:00:00Z\"}'\n");
    test::writeFile(awsFile("config"),
              "[default]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 20\n"
              "[profile   dev]\nregion = us-west-2\n"
              "[profile cfgonly]\naws_access_key_id = AKIDCFG\naws_secret_access_key = test-secret-cfg\n"
              "[profile expired]\ncredential_process = echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"2020-01-01T00:00:00Z\"}'\n"
              "[profile failing]\ncredential_process = sh -c 'echo test-secret-leak >&2; exit 3'\n"
              "[profile sso]\nsso_session = corp\n"
              "[profile loop]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = loop2\n"
              "[profile loop2]\nrole_arn = arn:aws:iam::123456789012:role/y\nsource_profile = loop\n");
  }

  void defaultProfileWithConfigRegion() {
    auto resolved = resolveAwsCredentials(options());
    QVERIFY2(resolved.ok(), resolved.ok() ? "" : resolved.error().message.c_str());
    QCOMPARE(resolved->credentials.accessKeyId, std::string("AKIDDEFAULT"));
    QCOMPARE(resolved->region, std::string("eu-west-1"));
    QCOMPARE(resolved->profile, std::string("default"));
    QVERIFY(contains(resolved->source, "profile default ("));
  }

  void environmentKeysWinUnlessAProfileIsExplicit() {
    m_env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    m_env["AWS_SECRET_ACCESS_KEY"] = "test-secret-env";
    m_env["AWS_DEFAULT_REGION"] = "ap-south-1";
    auto fromEnv = resolveAwsCredentials(options());
    QCOMPARE(fromEnv->credentials.accessKeyId, std::string("AKIDENV"));
    QCOMPARE(fromEnv->source, std::string("environment"));
    QCOMPARE(fromEnv->region, std::string("ap-south-1"));
    auto explicitDev = resolveAwsCredentials(options(), std::string("dev"));
    QCOMPARE(explicitDev->credentials.accessKeyId, std::string("AKIDDEV"));
    QCOMPARE(explicitDev->credentials.sessionToken, std::string("test-token-dev"));
    QCOMPARE(explicitDev->region, std::string("ap-south-1"));  // AWS_DEFAULT_REGION beats the profile
    m_env.erase("AWS_SECRET_ACCESS_KEY");
    auto half = resolveAwsCredentials(options());
    QVERIFY(!half.ok());
    QVERIFY(contains(half.error().message, "AWS_SECRET_ACCESS_KEY is not set but AWS_ACCESS_KEY_ID is"));
  }

  void awsProfileEnvironmentAndConfigOnlyProfiles() {
    m_env["AWS_PROFILE"] = "dev";
    auto dev = resolveAwsCredentials(options());
    QCOMPARE(dev->credentials.accessKeyId, std::string("AKIDDEV"));
    QCOMPARE(dev->region, std::string("us-west-2"));  // "[profile   dev]" in config
    auto cfg = resolveAwsCredentials(options(), std::string("cfgonly"));
    QCOMPARE(cfg->credentials.accessKeyId, std::string("AKIDCFG"));
    auto profiles = listAwsProfiles(options().env);
    QVERIFY(profiles.ok());
    QCOMPARE(*profiles, (std::vector<std::string>{"default", "dev", "proc", "cfgonly", "expired", "failing", "sso", "loop", "loop2"}));
  }

  void credentialProcessRunsAndIsChecked() {
    auto proc = resolveAwsCredentials(options(), std::string("proc"));
    QVERIFY2(proc.ok(), proc.ok() ? "" : proc.error().message.c_str());
    QCOMPARE(proc->credentials.accessKeyId, std::string("AKIDPROC"));
    QCOMPARE(proc->credentials.sessionToken, std::string("tok"));
    QVERIFY(proc->expiresAtUnix.has_value());
    auto expired = resolveAwsCredentials(options(), std::string("expired"));
    QCOMPARE(expired.error().code, ErrorCode::Unauthenticated);
    QCOMPARE(expired.error().message,
             std::string("credential_process of profile 'expired': the credentials it returned expired at 2020-01-01T00:00:00Z"));
    auto failing = resolveAwsCredentials(options(), std::string("failing"));
    QVERIFY(!failing.ok());
    QVERIFY(contains(failing.error().message, "exit status 3"));
    QVERIFY(!contains(failing.error().message, "test-secret-leak"));  // stderr is never echoed
  }

  void badProfilesAndFilesAreNamed() {
    auto unknown = resolveAwsCredentials(options(), std::string("nope"));
    QCOMPARE(unknown.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(unknown.error().message, "AWS profile 'nope' is not in " + awsFile("credentials").toStdString() + " or " +
                                          awsFile("config").toStdString());
    QVERIFY(contains(resolveAwsCredentials(options(), std::string("sso")).error().message, "IAM Identity Center"));
    QVERIFY(contains(resolveAwsCredentials(options(), std::string("loop")).error().message, "loops back"));

    test::writeFile(awsFile("credentials"), "[default]\naws_access_key_id = AKID\nthis line is wrong\n");
    auto malformed = resolveAwsCredentials(options());
    QCOMPARE(malformed.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(malformed.error().message, awsFile("credentials").toStdString() + ":3: expected 'key = value' or '[section]'");
    test::writeFile(awsFile("credentials"), "aws_access_key_id = AKID\n");
    QVERIFY(contains(resolveAwsCredentials(options()).error().message, ":1: setting before any [section]"));
    test::writeFile(awsFile("credentials"), "[default\n");
    QVERIFY(contains(resolveAwsCredentials(options()).error().message, ":1: section header without ']'"));
    test::writeFile(awsFile("credentials"), "[default]\naws_access_key_id = AKID\n");
    QVERIFY(contains(resolveAwsCredentials(options()).error().message, "aws_secret_access_key is missing"));

    QDir(m_home.filePath(QStringLiteral(".aws"))).removeRecursively();
    auto none = resolveAwsCredentials(options());
    QCOMPARE(none.error().code, ErrorCode::NotFound);
    QVERIFY(contains(none.error().message, "no AWS credentials"));
  }

  void badRoleDurationIsNamedBeforeAnyCall() {
    test::writeFile(awsFile("config"), "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n"
                                 "duration_seconds = 1h\n");
    test::FakeHttpClient client;
    auto o = options();
    o.client = &client;
    auto bad = resolveAwsCredentials(o, std::string("role"));
    QVERIFY(!bad);
    QCOMPARE(bad.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(bad.error().message,
             std::string("AWS profile 'role': duration_seconds '1h' is not a positive whole number"));
    QVERIFY(client.requests.empty());
  }

  void awsErrorsAreMapped() {
    http::Response response;
    response.status = 403;
    response.body = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request "
                    "signature we calculated does not match the signature you provided.</Message></Error></ErrorResponse>";
    Error error = awsErrorFromResponse("STS GetCallerIdentity", response);
    QCOMPARE(error.code, ErrorCode::Unauthenticated);
    QCOMPARE(error.providerCode, std::string("SignatureDoesNotMatch"));
    QVERIFY(contains(error.message, "STS GetCallerIdentity: HTTP 403, SignatureDoesNotMatch: The request signature"));
    response.body = "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors></Response>";
    QCOMPARE(awsErrorFromResponse("RunInstances", response).code, ErrorCode::PermissionDenied);
    response.status = 400;
    response.body = R"({"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"})";
    error = awsErrorFromResponse("GetProducts", response);
    QCOMPARE(error.code, ErrorCode::Unauthenticated);
    QCOMPARE(error.providerCode, std::string("ExpiredTokenException"));
  }
};

QTEST_APPLESS_MAIN(AwsConfigTest)
#include "AwsConfigTest.moc"
