// Azure: SharedKey and SAS against the SDK-generated vectors, service-principal environment
// variables, and the AD client-credentials flow (secret and certificate) over real loopback HTTP.
#include "TestSupport.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "LoopbackServer.h"
#include "core/auth/Crypto.h"
#include "core/auth/Jwt.h"
#include "core/auth/Url.h"
#include "core/auth/aws/SigV4.h"
#include "core/auth/azure/AzureCredentials.h"
#include "core/auth/azure/SharedKey.h"
#include "core/common/Time.h"
#include "core/http/CurlHttpClient.h"

using namespace spotwise;
using namespace spotwise::auth;
using namespace spotwise::auth::azure;

namespace {

nlohmann::json vectors() {
  return nlohmann::json::parse(test::readText(test::sourceDir() / "tests/data/signing/azure-storage/sharedkey-sas-vectors.json"));
}

// The value, or a test failure that shows the error (never an assert inside Result).
#define REQUIRE_VALUE(result)                                                                   \
  [&]() {                                                                                       \
    auto r_ = (result);                                                                         \
    if (!r_.ok()) qFatal("%s failed: %s", #result, r_.error().toString().c_str());              \
    return std::move(*r_);                                                                      \
  }()

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

Environment fakeEnv(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::string testCertificatePem() {
  const auto v = nlohmann::json::parse(test::readText(test::sourceDir() / "tests/data/signing/gcp-jwt/rs256-service-account-vectors.json"));
  return v["certificate_pem"].get<std::string>() + v["private_key_pem"].get<std::string>();
}

http::Response get(http::HttpClient& client, const std::string& url) {
  http::Request request;
  request.url = url;
  auto response = client.send(request);
  return response ? *response : http::Response{};
}

void script(http::HttpClient& client, const test::LoopbackServer& server, const std::string& path, const nlohmann::json& steps) {
  http::Request request;
  request.method = "POST";
  request.url = server.url("/__script?path=" + uriEncode(path));
  request.body = steps.dump();
  QVERIFY(client.send(request).ok());
}

}  // namespace

class AzureAuthTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void sharedKeyMatchesSdkVectors() {
    const auto v = vectors();
    const StorageAccountKey key{v["account"], v["account_key"]};
    QCOMPARE(key.key, emulatorAccount().key);
    int checked = 0;
    for (const auto& vector : v["sharedkey"]) {
      http::Request request;
      request.method = vector["method"];
      request.url = vector["url"];
      for (const auto& [name, value] : vector["headers"].items()) request.headers.emplace_back(name, value.get<std::string>());
      SharedKeyOptions options;
      options.nowUnix = *aws::parseHttpDate(vector["headers"]["x-ms-date"].get<std::string>());
      std::string stringToSign;
      QVERIFY(signSharedKey(request, key, options, &stringToSign).ok());
      QCOMPARE(stringToSign, vector["string_to_sign"].get<std::string>());
      std::string authorization;
      for (const auto& [name, value] : request.headers)
        if (name == "Authorization") authorization = value;
      QCOMPARE(authorization, vector["authorization"].get<std::string>());
      ++checked;
    }
    QCOMPARE(checked, 5);
  }

  // A URL that is not absolute is named in the error without its query: a SAS there holds a signature.
  void malformedUrlErrorKeepsNoSignature() {
    http::Request request;
    request.url = "devstoreaccount1.blob.core.windows.net/c/b?sv=2021-12-02&sig=SECRETSIG";
    auto signed_ = signSharedKey(request, emulatorAccount(), {});
    QVERIFY(!signed_);
    QCOMPARE(signed_.error().message, std::string("SharedKey: URL: 'devstoreaccount1.blob.core.windows.net/c/b' is not absolute (no scheme://)"));
  }

  void sasMatchesSdkVectors() {
    const auto v = vectors();
    const StorageAccountKey key{v["account"], v["account_key"]};
    int checked = 0;
    for (const auto& vector : v["sas"]) {
      const std::string kind = vector["kind"];
      Result<std::string> token = makeError(ErrorCode::Internal, "unset");
      const std::int64_t expiry = *parseIso8601Utc(vector["expiry"].get<std::string>());
      std::optional<std::int64_t> start;
      if (vector.contains("start")) start = *parseIso8601Utc(vector["start"].get<std::string>());
      if (kind == "account") {
        AccountSasOptions options;
        options.services = vector["services"];
        options.resourceTypes = vector["resource_types"];
        options.permissions = vector["permission"];
        options.expiryUnix = expiry;
        options.startUnix = start;
        token = makeAccountSas(key, options);
      } else {
        ServiceSasOptions options;
        options.resource = kind == "blob" ? SasResource::Blob : SasResource::Container;
        options.container = vector["container"];
        options.blob = vector.value("blob", "");
        options.permissions = vector["permission"];
        options.expiryUnix = expiry;
        options.startUnix = start;
        options.ipRange = vector.value("ip", "");
        options.httpsOnly = vector.value("protocol", "") == "https";
        token = makeServiceSas(key, options);
      }
      QVERIFY2(token.ok(), kind.c_str());
      QCOMPARE(*token, vector["token"].get<std::string>());
      ++checked;
    }
    QCOMPARE(checked, 4);
  }

  void sasPermissionsAreCanonicalAndChecked() {
    ServiceSasOptions options;
    options.container = "jobs";
    options.permissions = "wlr";  // any order in, canonical order out
    options.expiryUnix = 1893456000;
    auto token = makeServiceSas(emulatorAccount(), options);
    QVERIFY(token.ok());
    QVERIFY(contains(*token, "sp=rwl&"));
    options.permissions = "rz";
    auto unknown = makeServiceSas(emulatorAccount(), options);
    QVERIFY(!unknown.ok());
    QVERIFY(contains(unknown.error().message, "unknown permission 'z'"));
    options.permissions = "r";
    options.startUnix = options.expiryUnix;
    QVERIFY(contains(makeServiceSas(emulatorAccount(), options).error().message, "expiry is not after the start"));
    options.startUnix.reset();
    options.resource = SasResource::Directory;
    options.blob = "runs/job-42/";
    auto directory = makeServiceSas(emulatorAccount(), options);
    QVERIFY(directory.ok());
    QVERIFY(contains(*directory, "sr=d&sdd=2&"));
    auto badKey = makeServiceSas(StorageAccountKey{"acct", "not base64!"}, options);
    QVERIFY(!badKey.ok());
    QVERIFY(contains(badKey.error().message, "is not base64"));
    QVERIFY(!contains(badKey.error().message, "not base64!"));  // the key itself is never quoted
  }

  void servicePrincipalFromEnvironmentVariables() {
    auto none = servicePrincipalFromEnvironment(fakeEnv({}));
    QCOMPARE(none.error().code, ErrorCode::NotFound);
    auto partial = servicePrincipalFromEnvironment(fakeEnv({{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_SECRET", "s3cr3t-value"}}));
    QCOMPARE(partial.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(partial.error().message, std::string("Azure credentials: AZURE_CLIENT_ID is not set"));
    auto noSecret = servicePrincipalFromEnvironment(fakeEnv({{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}}));
    QVERIFY(contains(noSecret.error().message, "neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH"));
    auto full = servicePrincipalFromEnvironment(fakeEnv({{"AZURE_TENANT_ID", "tenant"}, {"AZURE_CLIENT_ID", "client"},
                                                         {"AZURE_CLIENT_SECRET", "s3cr3t-value"},
                                                         {"AZURE_SUBSCRIPTION_ID", "sub-1"},
                                                         {"AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"}}));
    QVERIFY(full.ok());
    QCOMPARE(full->subscriptionId, std::string("sub-1"));
    QCOMPARE(tokenEndpoint(*full), std::string("https://login.microsoftonline.us/tenant/oauth2/v2.0/token"));
    // `export AZURE_CLIENT_SECRET=` is no secret (found by AzureEnvironmentFuzzer): named, not accepted.
    auto emptySecret = servicePrincipalFromEnvironment(
        fakeEnv({{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", ""}}));
    QVERIFY(!emptySecret.ok());
    QVERIFY(contains(emptySecret.error().message, "neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH"));
    auto allEmpty = servicePrincipalFromEnvironment(fakeEnv({{"AZURE_TENANT_ID", ""}, {"AZURE_CLIENT_ID", ""}}));
    QCOMPARE(allEmpty.error().code, ErrorCode::NotFound);
  }

  void certificateThumbprintMatchesOpenssl() {
    auto certificate = parseClientCertificate(testCertificatePem(), "sp.pem");
    QVERIFY2(certificate.ok(), certificate.ok() ? "" : certificate.error().message.c_str());
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"), {QStringLiteral("x509"), QStringLiteral("-noout"), QStringLiteral("-fingerprint"), QStringLiteral("-sha1")});
    if (!openssl.waitForStarted(5000)) QSKIP("openssl CLI not available");
    openssl.write(QByteArray::fromStdString(certificate->certificatePem));
    openssl.closeWriteChannel();
    QVERIFY(openssl.waitForFinished(10000));
    QString fingerprint = QString::fromUtf8(openssl.readAllStandardOutput()).trimmed();
    fingerprint = fingerprint.mid(fingerprint.indexOf(u'=') + 1).remove(u':').toLower();
    QCOMPARE(hexEncode(*base64UrlDecode(certificate->x5t)), fingerprint.toStdString());

    auto ec = parseClientCertificate(certificate->certificatePem +
                                         test::readText(test::sourceDir() / "tests/data/signing/test-keys/ec-p256-test-only.pem"),
                                     "ec.pem");
    QVERIFY(!ec.ok());
    QVERIFY2(contains(ec.error().message, "ec.pem: the private key is not an RSA key"), ec.error().message.c_str());
    QVERIFY(contains(parseClientCertificate(certificate->certificatePem, "nokey.pem").error().message, "no PRIVATE KEY block"));
    QVERIFY(contains(parseClientCertificate(std::string("\x30\x82") + "binary", "sp.pfx").error().message, "not a PEM file"));
  }

  void clientCredentialsOverLoopback() {
    test::LoopbackServer server = test::LoopbackServer::httpFixture();
    QVERIFY(server.running());
    http::CurlHttpClient client;
    ServicePrincipal principal;
    principal.tenantId = "tenant-1";
    principal.clientId = "client-1";
    principal.clientSecret = "test-azure-secret-value";
    principal.authorityHost = server.url("");
    script(client, server, "/tenant-1/oauth2/v2.0/token",
           nlohmann::json::array({{{"status", 200}, {"body", R"({"token_type":"Bearer","expires_in":"3599","access_token":"eyJ.az1"})"}},
                                  {{"status", 200}, {"body", R"({"token_type":"Bearer","expires_in":3599,"access_token":"eyJ.az2"})"}}}));
    std::int64_t now = 1716508800;
    AzureTokenOptions options;
    options.clock = [&now] { return now; };
    ClientSecretTokenSource source(principal, client, options);
    QCOMPARE(REQUIRE_VALUE(source.accessToken({})), std::string("eyJ.az1"));
    QCOMPARE(REQUIRE_VALUE(source.accessToken({})), std::string("eyJ.az1"));  // cached
    now += 3400;
    QCOMPARE(REQUIRE_VALUE(source.accessToken({})), std::string("eyJ.az2"));  // refreshed inside the margin

    const auto seen = nlohmann::json::parse(get(client, server.url("/__requests")).body);
    QCOMPARE(int(seen.size()), 2);
    QCOMPARE(seen[0]["method"].get<std::string>(), std::string("POST"));
    QCOMPARE(seen[0]["headers"]["Content-Type"].get<std::string>(), std::string("application/x-www-form-urlencoded"));
    QCOMPARE(seen[0]["body"].get<std::string>(),
             std::string("grant_type=client_credentials&client_id=client-1&scope=https%3A%2F%2Fmanagement.azure.com%2F.default"
                         "&client_secret=test-azure-secret-value"));
  }

  void certificateAssertionOverLoopback() {
    test::LoopbackServer server = test::LoopbackServer::httpFixture();
    QVERIFY(server.running());
    http::CurlHttpClient client;
    QTemporaryDir dir;
    const QString pemPath = dir.filePath(QStringLiteral("sp.pem"));
    {
      QFile file(pemPath);
      QVERIFY(file.open(QIODevice::WriteOnly));
      file.write(QByteArray::fromStdString(testCertificatePem()));
    }
    ServicePrincipal principal;
    principal.tenantId = "tenant-2";
    principal.clientId = "client-2";
    principal.clientCertificatePath = pemPath.toStdString();
    principal.authorityHost = server.url("");
    script(client, server, "/tenant-2/oauth2/v2.0/token",
           nlohmann::json::array({{{"status", 200}, {"body", R"({"expires_in":3599,"access_token":"eyJ.cert"})"}}}));
    ClientSecretTokenSource source(principal, client);
    QCOMPARE(REQUIRE_VALUE(source.accessToken({})), std::string("eyJ.cert"));
    const auto seen = nlohmann::json::parse(get(client, server.url("/__requests")).body);
    const std::string body = seen[0]["body"];
    QVERIFY(contains(body, "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"));
    QVERIFY(!contains(body, "client_secret"));
    const std::string assertion = uriDecode(body.substr(body.find("client_assertion=") + 17));
    auto decoded = decodeJwt(assertion);
    QVERIFY(decoded.ok());
    const auto header = nlohmann::json::parse(decoded->headerJson);
    const auto claims = nlohmann::json::parse(decoded->payloadJson);
    QCOMPARE(header["x5t"].get<std::string>(), parseClientCertificate(testCertificatePem(), "x")->x5t);
    QCOMPARE(claims["aud"].get<std::string>(), tokenEndpoint(principal));
    QCOMPARE(claims["iss"].get<std::string>(), std::string("client-2"));
    QCOMPARE(claims["sub"].get<std::string>(), std::string("client-2"));
    QVERIFY(claims["exp"].get<std::int64_t>() > claims["nbf"].get<std::int64_t>());
    QCOMPARE(*rsaSha256Verify(parseClientCertificate(testCertificatePem(), "x")->certificatePem, decoded->signingInput,
                              decoded->signature), true);
  }

  void adErrorsAreClearAndSecretFree() {
    test::LoopbackServer server = test::LoopbackServer::httpFixture();
    QVERIFY(server.running());
    http::CurlHttpClient client;
    ServicePrincipal principal;
    principal.tenantId = "tenant-3";
    principal.clientId = "client-3";
    principal.clientSecret = "test-wrong-secret-value";
    principal.authorityHost = server.url("");
    script(client, server, "/tenant-3/oauth2/v2.0/token",
           nlohmann::json::array({{{"status", 401},
                                   {"body", R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0000\r\nTimestamp: 2024-05-24"})"}}}));
    ClientSecretTokenSource source(principal, client);
    auto error = source.accessToken({});
    QVERIFY(!error.ok());
    QCOMPARE(error.error().code, ErrorCode::Unauthenticated);
    QCOMPARE(error.error().message, "Azure AD token for client client-3 at " + tokenEndpoint(principal) +
                                        ": HTTP 401, invalid_client: AADSTS7000215: Invalid client secret provided.");
    QVERIFY(!contains(error.error().toString(), "test-wrong-secret-value"));

    principal.authorityHost = "http://127.0.0.1:1";  // nothing listens there
    ClientSecretTokenSource unreachable(principal, client);
    auto down = unreachable.accessToken({});
    QVERIFY(!down.ok());
    QVERIFY(isTransient(down.error()));
    QVERIFY(contains(down.error().message, "Azure AD token for client client-3 at http://127.0.0.1:1/tenant-3/oauth2/v2.0/token: "));
  }
};

QTEST_APPLESS_MAIN(AzureAuthTest)
#include "AzureAuthTest.moc"
