#include "TestSupport.h"
#include "core/cloud/Encoding.h"

using namespace spotwise::cloud;

class EncodingTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void base64MatchesRfc4648Vectors() {
    // RFC 4648 §10 test vectors.
    const std::pair<std::string, std::string> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
      QCOMPARE(base64Encode(plain), encoded);
      QCOMPARE(base64Decode(encoded).value_or("<fail>"), plain);
    }
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
    QCOMPARE(base64Decode(base64Encode(bytes)).value_or(""), bytes);
  }
  void base64RejectsMalformed() {
    QVERIFY(!base64Decode("Zg=").has_value());
    QVERIFY(!base64Decode("Z===").has_value());
    QVERIFY(!base64Decode("Zm9v!A==").has_value());
    QVERIFY(!base64Decode("Zg==Zg==").has_value());
  }
  void percentEncodingKeepsOnlyUnreserved() {
    QCOMPARE(percentEncode("a b/c~d_e-f.g*+=&é"), std::string("a%20b%2Fc~d_e-f.g%2A%2B%3D%26%C3%A9"));
    QCOMPARE(percentEncode("jobs/1/a b", true), std::string("jobs/1/a%20b"));
    QCOMPARE(formEncode({{"Action", "RunInstances"}, {"Tag.1.Value", "a=b&c"}}),
             std::string("Action=RunInstances&Tag.1.Value=a%3Db%26c"));
    QCOMPARE(hexEncode(std::string("\x00\xff\x10", 3)), std::string("00ff10"));
  }
};

QTEST_APPLESS_MAIN(EncodingTest)
#include "EncodingTest.moc"
