// Secret redaction in logs: every kind of secret Spotwise handles is masked, ordinary text is kept.
#include "TestSupport.h"

#include "core/common/Log.h"

using namespace spotwise;

class RedactTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void masksSecrets_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("secret");
    QTest::addColumn<QString>("kept");
    auto row = [](const char* name, const char* text, const char* secret, const char* kept) {
      QTest::newRow(name) << QString::fromUtf8(text) << QString::fromUtf8(secret) << QString::fromUtf8(kept);
    };
    row("authorization header",
        "PUT /b HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\r\nHost: x",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", "Host: x");
    row("presigned url", "GET https://b.s3.amazonaws.com/k?X-Amz-Date=20150830T123600Z&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        "aeeed9bbccd4d02ee5c0109b86d86835", "X-Amz-Date=20150830T123600Z");
    row("session token query", "url?X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLETOKEN%2Fabc&X-Amz-Expires=60", "FQoGZXIvYXdzEXAMPLETOKEN", "X-Amz-Expires=60");
    row("session token header", "x-amz-security-token: FQoGZXIvYXdzEXAMPLETOKEN2\nx-amz-date: 1", "FQoGZXIvYXdzEXAMPLETOKEN2", "x-amz-date: 1");
    row("sas", "https://a.blob.core.windows.net/c/b?sv=2021-12-02&sr=c&sig=1RWmxp0A668engTKl/D8dlxU2mFI5svcNz%2BTBSweUvA%3D&sp=r",
        "1RWmxp0A668engTKl", "sv=2021-12-02");
    row("oauth json", R"({"token_type":"Bearer","access_token":"ya29.a0AfH6SMCsecret","expires_in":3599})", "ya29.a0AfH6SMCsecret", "expires_in");
    row("oauth form", "grant_type=client_credentials&client_id=abc&client_secret=test~secret.value&scope=x", "test~secret.value", "client_id=abc");
    row("jwt assertion", "grant_type=urn%3Aietf&assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln", "eyJhbGciOiJSUzI1NiJ9", "grant_type=urn%3Aietf");
    row("bearer", "GET /compute/v1 with Bearer ya29.c.b0Aaekm1KsecretToken", "ya29.c.b0Aaekm1KsecretToken", "GET /compute/v1");
    row("sharedkey", "Authorization header was SharedKey devstoreaccount1:VZjHUIcyuUxIoafSD9qJjfcFEVMVZ4VXg0FVtTjFyWo= sent",
        "VZjHUIcyuUxIoafSD9qJjfcFEVMVZ4VXg0FVtTjFyWo=", "devstoreaccount1");
    row("sts xml", "<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey>"
                   "<SessionToken>IQoJb3JpZ2luX2VjEXAMPLE</SessionToken></Credentials>",
        "wJalrXUtnFEMI/K7MDENG", "ASIAEXAMPLE");
    row("credentials file", "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AKIDEXAMPLE");
    row("private key json", R"({"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n","client_email":"sa@p.iam"})",
        "MIIEvQIBADANBg", "sa@p.iam");
    row("pem block", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nend", "MIIEowIBAAKCAQEA", "end");
    row("connection string", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFl==;EndpointSuffix=core",
        "Eby8vdM02xNOcqFl", "AccountName=acct");
    row("gcp api key", "GET https://cloudbilling.googleapis.com/v1/services?key=AIzaSyTestKeyValue123&pageSize=5000",
        "AIzaSyTestKeyValue123", "pageSize=5000");
  }

  void masksSecrets() {
    QFETCH(QString, text);
    QFETCH(QString, secret);
    QFETCH(QString, kept);
    const QString out = QString::fromStdString(redactSecrets(text.toStdString()));
    QVERIFY2(!out.contains(secret), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("[REDACTED]")), qPrintable(out));
    QVERIFY2(out.contains(kept), qPrintable(out));
  }

  void registeredSecretsAreMaskedAnywhere() {
    const std::string secret = "test-registered-7f3a9c";
    QVERIFY(redactSecrets("weird place: " + secret).find(secret) != std::string::npos);
    registerSecret(secret);
    QCOMPARE(redactSecrets("weird place: " + secret + "!"), std::string("weird place: [REDACTED]!"));
    registerSecret("short");  // too short to register: ordinary words stay
    QCOMPARE(redactSecrets("a short text"), std::string("a short text"));
  }

  void logMessagesAreRedactedBeforeTheSink() {
    std::vector<std::string> lines;
    setLogSink([&lines](LogLevel, std::string_view message) { lines.emplace_back(message); });
    logMessage(LogLevel::Info, "POST token: client_secret=test-client-secret-xyz&client_id=c");
    resetLogSink();
    QCOMPARE(int(lines.size()), 1);
    QCOMPARE(lines[0], std::string("POST token: client_secret=[REDACTED]&client_id=c"));
  }

  void ordinaryTextIsUntouched() {
    const std::string text = "RunInstances: HTTP 400, InsufficientInstanceCapacity: no p4d.24xlarge in us-east-1a (key pair mykey)";
    QCOMPARE(redactSecrets(text), text);
  }
};

QTEST_APPLESS_MAIN(RedactTest)
#include "RedactTest.moc"
