// GCP service-account credentials: key parsing and its errors, the RS256 assertion against the
// fixture vectors (google-auth 1.5.1 and 2.39 outputs), ADC precedence and the token cache.
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "core/auth/Crypto.h"
#include "core/auth/FakeHttpClient.h"
#include "core/auth/Jwt.h"
#include "core/auth/Url.h"
#include "core/auth/gcp/GcpCredentials.h"
#include "core/auth/gcp/GcpTokenSources.h"

using namespace spotwise;
using namespace spotwise::auth;
using namespace spotwise::auth::gcp;

namespace {

nlohmann::json vectors() {
  return nlohmann::json::parse(test::readText(test::sourceDir() / "tests/data/signing/gcp-jwt/rs256-service-account-vectors.json"));
}

nlohmann::json keyJson() {
  const auto v = vectors();
  return {{"type", "service_account"},
          {"project_id", "demo-project"},
          {"private_key_id", v["private_key_id"]},
          {"private_key", v["private_key_pem"]},
          {"client_email", "test-sa@demo-project.iam.gserviceaccount.com"},
          {"client_id", "1234567890"},
          {"token_uri", "https://oauth2.googleapis.com/token"}};
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

Environment fakeEnv(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

void writeFile(const QString& path, const std::string& text) {
  QFile file(path);
  QVERIFY(file.open(QIODevice::WriteOnly));
  file.write(text.data(), static_cast<qint64>(text.size()));
}

/** A service-account token source (compute scope) on a fake HTTP client, with a clock the test moves. */
struct ClockedTokenSource {
  explicit ClockedTokenSource(ServiceAccountKey key) {
    TokenSourceOptions options;
    options.clock = [this] { return now; };
    source = std::make_unique<ServiceAccountTokenSource>(std::move(key), std::vector<std::string>{"https://www.googleapis.com/auth/compute"},
                                                         client, options);
  }
  test::FakeHttpClient client;
  std::int64_t now = 1716508800;
  std::unique_ptr<ServiceAccountTokenSource> source;
};

}  // namespace

class GcpAuthTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void signaturesMatchGoogleAuthVectors() {
    const auto v = vectors();
    const std::string pem = v["private_key_pem"];
    QCOMPARE(int(v["vectors"].size()), 2);
    for (const auto& vector : v["vectors"]) {
      const std::string signingInput = vector["signing_input"];
      auto signature = rsaSha256Sign(pem, signingInput);
      QVERIFY(signature.ok());
      auto expected = base64UrlDecode(vector["signature_b64url"].get<std::string>());
      QVERIFY(expected.ok());
      QVERIFY2(*signature == *expected, vector["google_auth"].get<std::string>().c_str());
      // The reference JWT (padded in google-auth 1.5.1) decodes and verifies with the certificate.
      auto decoded = decodeJwt(vector["jwt"].get<std::string>());
      QVERIFY(decoded.ok());
      QCOMPARE(*rsaSha256Verify(v["certificate_pem"].get<std::string>(), decoded->signingInput, decoded->signature), true);
      const auto claims = nlohmann::json::parse(decoded->payloadJson);
      QCOMPARE(claims, vector["claims"]);
    }
  }

  void assertionCarriesTheClaimsAndVerifies() {
    auto key = parseServiceAccountKey(keyJson().dump(), "key.json");
    QVERIFY2(key.ok(), key.ok() ? "" : key.error().message.c_str());
    auto jwt = makeAssertion(*key, {"https://www.googleapis.com/auth/compute", "https://www.googleapis.com/auth/cloud-billing.readonly"},
                             1716508830);
    QVERIFY(jwt.ok());
    QVERIFY(jwt->find('=') == std::string::npos);  // RFC 7515: no padding
    auto decoded = decodeJwt(*jwt);
    QVERIFY(decoded.ok());
    const auto header = nlohmann::json::parse(decoded->headerJson);
    QCOMPARE(header["alg"].get<std::string>(), std::string("RS256"));
    QCOMPARE(header["kid"].get<std::string>(), std::string("test-key-id-0001"));
    auto claims = decodeAssertionClaims(*jwt);
    QVERIFY(claims.ok());
    QCOMPARE(claims->issuer, std::string("test-sa@demo-project.iam.gserviceaccount.com"));
    QCOMPARE(claims->scope, std::string("https://www.googleapis.com/auth/compute https://www.googleapis.com/auth/cloud-billing.readonly"));
    QCOMPARE(claims->audience, std::string("https://oauth2.googleapis.com/token"));
    QCOMPARE(claims->issuedAt, std::int64_t{1716508800});  // backdated 30 s for clock skew
    QCOMPARE(claims->expiresAt - claims->issuedAt, std::int64_t{3600});
    QCOMPARE(*rsaSha256Verify(vectors()["certificate_pem"].get<std::string>(), decoded->signingInput, decoded->signature), true);
    // A tampered payload no longer verifies (the check can fail).
    QCOMPARE(*rsaSha256Verify(vectors()["certificate_pem"].get<std::string>(), decoded->signingInput + "x", decoded->signature), false);
  }

  void keyErrorsNameWhatIsWrong() {
    auto noKey = keyJson();
    noKey.erase("private_key");
    auto missing = parseServiceAccountKey(noKey.dump(), "/home/u/sa.json");
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(missing.error().message, std::string("GCP credentials /home/u/sa.json: no \"private_key\" field"));

    auto ec = keyJson();
    ec["private_key"] = test::readText(test::sourceDir() / "tests/data/signing/test-keys/ec-p256-test-only.pem");
    auto notRsa = parseServiceAccountKey(ec.dump(), "sa.json");
    QVERIFY(!notRsa.ok());
    QVERIFY2(contains(notRsa.error().message, "\"private_key\": the private key is not an RSA key"), notRsa.error().message.c_str());

    auto garbage = keyJson();
    garbage["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    auto unreadable = parseServiceAccountKey(garbage.dump(), "sa.json");
    QVERIFY(!unreadable.ok());
    QVERIFY(contains(unreadable.error().message, "not a readable PEM key"));

    auto malformed = parseServiceAccountKey("{\n  \"type\": \"service_account\",\n  \"client_email\": oops\n}", "sa.json");
    QVERIFY(!malformed.ok());
    QVERIFY2(contains(malformed.error().message, "sa.json: not valid JSON (line 3)"), malformed.error().message.c_str());

    auto wrongType = keyJson();
    wrongType["type"] = "external_account";
    auto unsupported = parseCredentialsFile(wrongType.dump(), "adc.json");
    QVERIFY(!unsupported.ok());
    QVERIFY(contains(unsupported.error().message, "unsupported credentials type 'external_account'"));
    // No error message ever quotes the key.
    for (const auto* error : {&missing.error(), &notRsa.error(), &unreadable.error(), &malformed.error()})
      QVERIFY(!contains(error->message, "PRIVATE KEY"));
  }

  void applicationDefaultCredentialsPrecedence() {
    QTemporaryDir dir;
    const QString keyPath = dir.filePath(QStringLiteral("sa.json"));
    writeFile(keyPath, keyJson().dump());
    const QString gcloudDir = dir.filePath(QStringLiteral("gcloud"));
    QDir().mkpath(gcloudDir);
    writeFile(gcloudDir + QStringLiteral("/application_default_credentials.json"),
              nlohmann::json{{"type", "authorized_user"}, {"client_id", "cid.apps.googleusercontent.com"},
                             {"client_secret", "test-client-secret"}, {"refresh_token", "1/" "/test-refresh"},
                             {"quota_project_id", "demo"}}.dump());

    std::filesystem::path used;
    auto explicitKey = loadApplicationDefaultCredentials(
        fakeEnv({{"GOOGLE_APPLICATION_CREDENTIALS", keyPath.toStdString()}, {"CLOUDSDK_CONFIG", gcloudDir.toStdString()}}), &used);
    QVERIFY(explicitKey.ok());
    QVERIFY(std::holds_alternative<ServiceAccountKey>(*explicitKey));
    QCOMPARE(used.string(), keyPath.toStdString());

    auto gcloud = loadApplicationDefaultCredentials(fakeEnv({{"CLOUDSDK_CONFIG", gcloudDir.toStdString()}}), &used);
    QVERIFY(gcloud.ok());
    QVERIFY(std::holds_alternative<AuthorizedUser>(*gcloud));
    QCOMPARE(std::get<AuthorizedUser>(*gcloud).quotaProjectId, std::string("demo"));

    auto viaHome = loadApplicationDefaultCredentials(fakeEnv({{"HOME", dir.path().toStdString()}}));
    QVERIFY(!viaHome.ok());
    QCOMPARE(viaHome.error().code, ErrorCode::NotFound);
    QVERIFY(contains(viaHome.error().message, ".config/gcloud/application_default_credentials.json does not exist"));

    auto badPath = loadApplicationDefaultCredentials(fakeEnv({{"GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json"}}));
    QVERIFY(!badPath.ok());
    QVERIFY(contains(badPath.error().message, "/nonexistent/key.json"));
    QVERIFY(contains(badPath.error().message, "GOOGLE_APPLICATION_CREDENTIALS"));
  }

  void tokenIsCachedAndRefreshedBeforeExpiry() {
    auto key = parseServiceAccountKey(keyJson().dump(), "key.json");
    QVERIFY(key.ok());
    ClockedTokenSource clocked(*key);
    auto& [client, now, sourcePtr] = clocked;
    auto& source = *sourcePtr;
    client.push(200, R"({"access_token": "ya29.first", "expires_in": 3599, "token_type": "Bearer"})");
    client.push(200, R"({"access_token": "ya29.second", "expires_in": 3599, "token_type": "Bearer"})");

    QCOMPARE(*source.accessToken({}), std::string("ya29.first"));
    QCOMPARE(int(client.requests.size()), 1);
    const http::Request& exchange = client.requests.front();
    QCOMPARE(exchange.method, std::string("POST"));
    QCOMPARE(exchange.url, std::string("https://oauth2.googleapis.com/token"));
    QVERIFY(exchange.body.starts_with("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="));
    auto claims = decodeAssertionClaims(uriDecode(exchange.body.substr(exchange.body.find("assertion=") + 10)));
    QVERIFY(claims.ok());
    QCOMPARE(claims->issuer, key->clientEmail);

    now += 3000;  // 599 s left: still cached
    QCOMPARE(*source.accessToken({}), std::string("ya29.first"));
    QCOMPARE(int(client.requests.size()), 1);
    now += 400;  // 199 s left: inside the 300 s margin, refreshed
    QCOMPARE(*source.accessToken({}), std::string("ya29.second"));
    QCOMPARE(int(client.requests.size()), 2);
  }

  void anAbsurdLifetimeIsHeldToADay() {
    // expires_in near INT64_MAX overflowed now + expires_in (found by AzureEnvironmentFuzzer).
    auto key = parseServiceAccountKey(keyJson().dump(), "key.json");
    QVERIFY(key.ok());
    ClockedTokenSource clocked(*key);
    auto& [client, now, sourcePtr] = clocked;
    auto& source = *sourcePtr;
    client.push(200, R"({"access_token": "ya29.forever", "expires_in": 9223372036854775807})");
    client.push(200, R"({"access_token": "ya29.next", "expires_in": 3599})");
    QCOMPARE(*source.accessToken({}), std::string("ya29.forever"));
    now += 24 * 3600 - 301;  // still inside the day, outside the refresh margin
    QCOMPARE(*source.accessToken({}), std::string("ya29.forever"));
    now += 2;
    QCOMPARE(*source.accessToken({}), std::string("ya29.next"));
  }

  void exchangeFailuresAreClear() {
    auto key = parseServiceAccountKey(keyJson().dump(), "key.json");
    QVERIFY(key.ok());
    test::FakeHttpClient client;
    ServiceAccountTokenSource source(*key, {}, client);
    client.push(400, R"({"error": "invalid_grant", "error_description": "Invalid JWT Signature."})");
    auto rejected = source.accessToken({});
    QVERIFY(!rejected.ok());
    QCOMPARE(rejected.error().code, ErrorCode::Unauthenticated);
    QCOMPARE(rejected.error().message,
             std::string("GCP token exchange for test-sa@demo-project.iam.gserviceaccount.com at "
                         "https://oauth2.googleapis.com/token: HTTP 400, invalid_grant: Invalid JWT Signature."));
    QCOMPARE(rejected.error().providerCode, std::string("invalid_grant"));

    client.push(403, R"({"error": "access_denied"})");
    auto denied = source.accessToken({});
    QCOMPARE(denied.error().code, ErrorCode::PermissionDenied);

    client.push(200, R"({"token_type": "Bearer"})");
    QCOMPARE(source.accessToken({}).error().code, ErrorCode::DataLoss);

    client.push(200, R"({"access_token": "ya29.expired", "expires_in": 0})");
    auto expired = source.accessToken({});
    QVERIFY(!expired.ok());
    QVERIFY(contains(expired.error().message, "already expired"));
    QVERIFY(!contains(expired.error().message, "ya29.expired"));

    client.pushError(makeError(ErrorCode::Unavailable, "connect: connection refused"));
    auto down = source.accessToken({});
    QCOMPARE(down.error().code, ErrorCode::Unavailable);
    QVERIFY(isTransient(down.error()));
    QVERIFY(contains(down.error().message, "connection refused"));

    std::stop_source stop;
    stop.request_stop();
    QCOMPARE(source.accessToken(stop.get_token()).error().code, ErrorCode::Cancelled);
  }

  void authorizedUserRefreshes() {
    AuthorizedUser user;
    user.clientId = "cid";
    user.clientSecret = "test-client-secret";
    user.refreshToken = "1//test-refresh";
    test::FakeHttpClient client;
    AuthorizedUserTokenSource source(user, client);
    client.push(200, R"({"access_token": "ya29.user", "expires_in": 3599})");
    QCOMPARE(*source.accessToken({}), std::string("ya29.user"));
    QCOMPARE(client.requests.front().body,
             std::string("grant_type=refresh_token&client_id=cid&client_secret=test-client-secret&refresh_token=1%2F%2Ftest-refresh"));
    client.push(400, R"({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})");
    AuthorizedUserTokenSource revoked(user, client);
    auto error = revoked.accessToken({});
    QCOMPARE(error.error().code, ErrorCode::Unauthenticated);
    QVERIFY(contains(error.error().message, "Token has been expired or revoked."));
    QVERIFY(!contains(error.error().message, "test-refresh"));
    QVERIFY(!contains(error.error().message, "test-client-secret"));
  }
};

QTEST_APPLESS_MAIN(GcpAuthTest)
#include "GcpAuthTest.moc"
