#include <sstream>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/common/Time.h"
#include "core/pricing/sources/JsonPullReader.h"
#include "core/pricing/sources/aws/AwsOffer.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace spotwise::pricing::sources;

namespace {
std::filesystem::path data(const char* name) { return test::sourceDir() / "tests/data/pricing/aws" / name; }

Result<ParsedPrices> parseText(const std::string& text, AwsOfferOptions options = {}) {
  std::istringstream in(text);
  return parseAwsOfferFile(in, options);
}

constexpr const char* kP3Sku = "9ZEEN7WWWQKAG292";  // p3.8xlarge in the derived Linux excerpt

/**
 * The derived Linux excerpt plus a second p3.8xlarge product (SKU VARIANT00000001, as AWS lists one per
 * tenancy, capacity status, software and licence) that differs in `attribute` and costs 99 $/h.
 */
std::string withVariant(const std::string& attribute, const std::string& value) {
  auto offer = nlohmann::json::parse(test::readText(data("derived_us-east-2_p3.8xlarge_linux.json")));
  const std::string variant = "VARIANT00000001";
  auto product = offer["products"][kP3Sku];
  product["sku"] = variant;
  product["attributes"][attribute] = value;
  offer["products"][variant] = product;
  nlohmann::json terms;
  for (const auto& item : offer["terms"]["OnDemand"][kP3Sku].items()) {
    const std::string code = item.key();
    nlohmann::json term = item.value();  // a copy: the original product keeps its price
    term["sku"] = variant;
    for (auto& dimension : term["priceDimensions"]) dimension["pricePerUnit"]["USD"] = "99.0000000000";
    terms[variant + code.substr(std::string(kP3Sku).size())] = term;
  }
  offer["terms"]["OnDemand"][variant] = terms;
  return offer.dump();
}
}  // namespace

namespace {
const char* const kRaw0 = "{\"a\":\"x\\\"y\\\\z\\u00e9\\ud83d\\ude00\",\"b\":[true,false,null,-1.5e3]}\n";
const char* const kRaw1 = "{\"skip\":{\"a\":\"}]\\\"{\",\"b\":[{\"c\":\"]\"}]},\"keep\":7}\n";
}  // namespace

class AwsOfferTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void realExcerptSelectsNothingBecauseItsGpuProductIsWindowsByol() {
    // The real opencost excerpt's only GPU product (p3.8xlarge) is Windows BYOL: the Linux selection must drop it.
    auto parsed = parseText(test::readText(data("opencost_provider_test_AmazonEC2_us-east-2_excerpt.json")));
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->itemsRead, std::size_t{3});
    QCOMPARE(parsed->records.size(), std::size_t{0});
    QCOMPARE(parsed->notes.size(), std::size_t{1});
    QCOMPARE(parsed->notes[0], std::string("1 GPU products left out by the Linux/Shared/Used/NA/No License required selection"));
  }

  void linuxGpuProductGivesItsHourlyUsdPrice() {
    // Same excerpt, p3.8xlarge switched to Linux / No License required (tests/data/pricing/SOURCES.md).
    auto parsed = parseText(test::readText(data("derived_us-east-2_p3.8xlarge_linux.json")));
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->records.size(), std::size_t{1});
    const auto& r = parsed->records[0];
    QCOMPARE(r.instanceType, std::string("p3.8xlarge"));
    QCOMPARE(r.region, std::string("us-east-2"));
    QCOMPARE(r.zone, std::string());
    QCOMPARE(r.kind, PriceKind::OnDemand);
    QCOMPARE(r.usdPerHour, 12.24);
    QCOMPARE(r.gpuCount, 4);
    QCOMPARE(r.vcpus, 32.0);
    QCOMPARE(r.ramGiB, 244.0);
    QCOMPARE(r.sourceId, std::string("aws-offer"));
    QCOMPARE(formatIso8601Utc(r.asOfUnix), std::string("2023-03-22T14:56:51Z"));  // publicationDate
  }

  // Each selection rule of pricing-sources.md §2a on its own: the variant is left out, the Linux/Shared/Used/NA/
  // "No License required" product alone is priced (a rule not applied would give a second, 99 $/h, record).
  void selectionLeavesOutEveryOtherVariant_data() {
    QTest::addColumn<QString>("attribute");
    QTest::addColumn<QString>("value");
    QTest::newRow("Dedicated tenancy") << QStringLiteral("tenancy") << QStringLiteral("Dedicated");
    QTest::newRow("Host tenancy") << QStringLiteral("tenancy") << QStringLiteral("Host");
    QTest::newRow("UnusedCapacityReservation") << QStringLiteral("capacitystatus") << QStringLiteral("UnusedCapacityReservation");
    QTest::newRow("AllocatedCapacityReservation") << QStringLiteral("capacitystatus") << QStringLiteral("AllocatedCapacityReservation");
    QTest::newRow("SQL Std") << QStringLiteral("preInstalledSw") << QStringLiteral("SQL Std");
    QTest::newRow("SQL Web") << QStringLiteral("preInstalledSw") << QStringLiteral("SQL Web");
    QTest::newRow("Bring your own license") << QStringLiteral("licenseModel") << QStringLiteral("Bring your own license");
    QTest::newRow("RHEL") << QStringLiteral("operatingSystem") << QStringLiteral("RHEL");
  }
  void selectionLeavesOutEveryOtherVariant() {
    QFETCH(QString, attribute);
    QFETCH(QString, value);
    auto parsed = parseText(withVariant(attribute.toStdString(), value.toStdString()));
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->itemsRead, std::size_t{4});
    QCOMPARE(parsed->records.size(), std::size_t{1});
    QCOMPARE(parsed->records[0].instanceType, std::string("p3.8xlarge"));
    QCOMPARE(parsed->records[0].usdPerHour, 12.24);
    QCOMPARE(parsed->notes, std::vector<std::string>{"1 GPU products left out by the Linux/Shared/Used/NA/No License required selection"});
  }

  // The control for the test above: a variant that differs in nothing the selection reads is priced too.
  void variantHelperIsSelectedWhenNothingDiffers() {
    auto parsed = parseText(withVariant("tenancy", "Shared"));
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->records.size(), std::size_t{2});
  }

  // A product without regionCode: the region of the file (the fetcher's, or `import --region`), else left out
  // with a warning naming its SKU; never a price in an empty region.
  void productWithoutRegionCodeTakesTheFileRegionOrIsLeftOut() {
    auto offer = nlohmann::json::parse(test::readText(data("derived_us-east-2_p3.8xlarge_linux.json")));
    for (auto& product : offer["products"]) product["attributes"].erase("regionCode");
    const std::string text = offer.dump();

    auto hinted = parseText(text, AwsOfferOptions{"aws-offer", 0, "us-east-2"});
    QVERIFY2(hinted, hinted ? "" : hinted.error().toString().c_str());
    QCOMPARE(hinted->records.size(), std::size_t{1});
    QCOMPARE(hinted->records[0].region, std::string("us-east-2"));
    QVERIFY(hinted->warnings.empty());

    auto unplaced = parseText(text);
    QVERIFY2(unplaced, unplaced ? "" : unplaced.error().toString().c_str());
    QCOMPARE(unplaced->records.size(), std::size_t{0});
    QCOMPARE(unplaced->warnings,
             std::vector<std::string>{"product 9ZEEN7WWWQKAG292 (p3.8xlarge, location 'US East (Ohio)') has no regionCode and the "
                                      "file's region is not known: left out"});
    QVERIFY(unplaced->notes.empty());  // not counted as left out by the Linux selection
  }

  void everyBufferSizeGivesTheSameResult() {
    // The streaming reader must not depend on where buffer refills cut tokens.
    const std::string text = test::readText(data("derived_us-east-2_p3.8xlarge_linux.json"));
    for (std::size_t size : {64u, 65u, 100u, 333u, 4096u}) {
      std::istringstream in(text);
      JsonPullReader reader(in, size);
      int tokens = 0;
      for (auto t = reader.next(); t != JsonPullReader::Token::End; t = reader.next()) {
        QVERIFY2(t != JsonPullReader::Token::Error, reader.error().c_str());
        ++tokens;
      }
      QCOMPARE(tokens, 341);  // counted with Python json over the same file
    }
  }

  void chinaPartitionFileIsRejectedForItsCurrency() {
    auto parsed = parseText(test::readText(data("opencost_provider_test_AmazonEC2_cn-northwest-1_excerpt.json")));
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(parsed.error().message.starts_with("AwsOffer: prices are in CNY, not USD"), parsed.error().message.c_str());
  }

  void truncatedFileIsDataLossWithTheOffset() {
    const std::string text = test::readText(data("derived_us-east-2_p3.8xlarge_linux.json"));
    for (std::size_t cut : {std::size_t{1}, text.size() / 3, text.size() / 2, text.size() - 3}) {
      auto parsed = parseText(text.substr(0, cut));
      QVERIFY(!parsed);
      QCOMPARE(parsed.error().code, ErrorCode::DataLoss);
      QVERIFY2(parsed.error().message.starts_with("AwsOffer: truncated JSON"), parsed.error().message.c_str());
    }
  }

  void malformedInputIsRejectedNamingTheProblem_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing colon") << QStringLiteral("{\"formatVersion\" \"v1.0\"}") << QStringLiteral("expected ':' after a key");
    QTest::newRow("trailing comma") << QStringLiteral("{\"formatVersion\":\"v1.0\",}") << QStringLiteral("expected a quoted key");
    QTest::newRow("bad number") << QStringLiteral("{\"x\":01}") << QStringLiteral("bad number '01'");
    QTest::newRow("not an offer") << QStringLiteral("{\"products\":{}}") << QStringLiteral("not an AWS offer file");
    QTest::newRow("other service") << QStringLiteral("{\"formatVersion\":\"v1.0\",\"offerCode\":\"AmazonS3\"}")
                                   << QStringLiteral("offerCode is 'AmazonS3', not AmazonEC2");
    QTest::newRow("terms first") << QStringLiteral("{\"formatVersion\":\"v1.0\",\"offerCode\":\"AmazonEC2\",\"terms\":{}}")
                                 << QStringLiteral("'terms' comes before 'products'");
    QTest::newRow("array root") << QStringLiteral("[1]") << QStringLiteral("not a JSON object");
    QTest::newRow("garbage after") << QStringLiteral("{\"formatVersion\":\"v1.0\",\"offerCode\":\"AmazonEC2\",\"products\":{}} x")
                                   << QStringLiteral("expected end of input");
  }
  void malformedInputIsRejectedNamingTheProblem() {
    QFETCH(QString, text);
    QFETCH(QString, expected);
    auto parsed = parseText(text.toStdString());
    QVERIFY(!parsed);
    QVERIFY2(parsed.error().message.starts_with("AwsOffer: "), parsed.error().message.c_str());
    QVERIFY2(QString::fromStdString(parsed.error().message).contains(expected), parsed.error().message.c_str());
  }

  void nonNumericPriceIsAnError() {
    std::string text = test::readText(data("derived_us-east-2_p3.8xlarge_linux.json"));
    const auto at = text.find("\"12.2400000000\"");
    QVERIFY(at != std::string::npos);
    text.replace(at, 15, "\"N/A\"");
    auto parsed = parseText(text);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().message, std::string("AwsOffer: price of p3.8xlarge is not a number: 'N/A'"));
  }

  void zeroPriceStaysMissing() {
    std::string text = test::readText(data("derived_us-east-2_p3.8xlarge_linux.json"));
    const auto at = text.find("\"12.2400000000\"");
    text.replace(at, 15, "\"0.0000000000\"");
    auto parsed = parseText(text);
    QVERIFY(parsed);
    QCOMPARE(parsed->records.size(), std::size_t{0});
    QVERIFY(std::ranges::any_of(parsed->notes, [](const std::string& n) { return n.find("$0 hourly prices left out") != std::string::npos; }));
  }

  void escapesAndUnicodeAreDecoded() {
    std::istringstream in(kRaw0);
    JsonPullReader reader(in, 64);
    QCOMPARE(reader.next(), JsonPullReader::Token::BeginObject);
    QCOMPARE(reader.next(), JsonPullReader::Token::Key);
    QCOMPARE(reader.next(), JsonPullReader::Token::String);
    QCOMPARE(std::string(reader.text()), std::string("x\"y\\z\xc3\xa9\xf0\x9f\x98\x80"));
    QCOMPARE(reader.next(), JsonPullReader::Token::Key);
    QCOMPARE(reader.next(), JsonPullReader::Token::BeginArray);
    QCOMPARE(reader.next(), JsonPullReader::Token::True);
    QCOMPARE(reader.next(), JsonPullReader::Token::False);
    QCOMPARE(reader.next(), JsonPullReader::Token::Null);
    QCOMPARE(reader.next(), JsonPullReader::Token::Number);
    QCOMPARE(std::string(reader.text()), std::string("-1.5e3"));
    QCOMPARE(reader.next(), JsonPullReader::Token::EndArray);
    QCOMPARE(reader.next(), JsonPullReader::Token::EndObject);
    QCOMPARE(reader.next(), JsonPullReader::Token::End);
  }

  void skipHonoursStringsWithBrackets() {
    std::istringstream in(kRaw1);
    JsonPullReader reader(in, 64);
    QCOMPARE(reader.next(), JsonPullReader::Token::BeginObject);
    QCOMPARE(reader.next(), JsonPullReader::Token::Key);
    QVERIFY(reader.skipValue());
    QCOMPARE(reader.next(), JsonPullReader::Token::Key);
    QCOMPARE(std::string(reader.text()), std::string("keep"));
    QCOMPARE(reader.next(), JsonPullReader::Token::Number);
    QCOMPARE(reader.next(), JsonPullReader::Token::EndObject);
    QCOMPARE(reader.next(), JsonPullReader::Token::End);
  }
};

QTEST_APPLESS_MAIN(AwsOfferTest)
#include "AwsOfferTest.moc"
