#include "TestSupport.h"
#include "core/common/Time.h"
#include "core/pricing/sources/aws/AwsSpot.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace spotwise::pricing::sources;

namespace {
std::filesystem::path data(const char* name) { return test::sourceDir() / "tests/data/pricing/aws" / name; }

const PriceRecord* find(const ParsedPrices& p, std::string_view region, std::string_view type) {
  for (const auto& r : p.records) {
    if (r.region == region && r.instanceType == type) return &r;
  }
  return nullptr;
}
const InterruptionRecord* findBand(const ParsedPrices& p, std::string_view region, std::string_view type) {
  for (const auto& r : p.interruptions) {
    if (r.region == region && r.instanceType == type) return &r;
  }
  return nullptr;
}
}  // namespace

namespace {
const char* const kRaw0 = "{\"ranges\":[{\"index\":1,\"label\":\"5-10%\"},{\"index\":0,\"label\":\"<5%\"}],\n"
    "      \"spot_advisor\":{\"us-east-1\":{\"Linux\":{\"g5.xlarge\":{\"s\":70,\"r\":0}},\"Windows\":{}}}}\n";
const char* const kRaw1 = "{\"ranges\":[{\"index\":0,\"label\":\"<5%\"}],\"spot_advisor\":{\"eu-west-1\":{\"Linux\":{\"p3.2xlarge\":{\"s\":1,\"r\":4}}}}}\n";
const char* const kRaw2 = "{\"ranges\":[{\"index\":0,\n";
const char* const kRaw3 = "<DescribeSpotPriceHistoryResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><spotPriceHistorySet>\n"
    "<item><instanceType>p3.2xlarge</instanceType><productDescription>Linux/UNIX</productDescription><spotPrice>0.918000</spotPrice><timestamp>2026-11-28T10:00:00.000Z</timestamp><availabilityZone>us-east-1a</availabilityZone></item>\n"
    "<item><instanceType>p3.2xlarge</instanceType><productDescription>Linux/UNIX</productDescription><spotPrice>0.950000</spotPrice><timestamp>2026-11-28T12:00:00.000Z</timestamp><availabilityZone>us-east-1a</availabilityZone></item>\n"
    "<item><instanceType>p3.2xlarge</instanceType><productDescription>Linux/UNIX</productDescription><spotPrice>0.900000</spotPrice><timestamp>2026-11-28T11:00:00.000Z</timestamp><availabilityZone>us-east-1a</availabilityZone></item>\n"
    "<item><instanceType>p3.2xlarge</instanceType><productDescription>Linux/UNIX (Amazon VPC)</productDescription><spotPrice>0.800000</spotPrice><timestamp>2026-11-28T09:00:00.000Z</timestamp><availabilityZone>us-east-1b</availabilityZone></item>\n"
    "</spotPriceHistorySet><nextToken></nextToken></DescribeSpotPriceHistoryResponse>\n";
}  // namespace

class AwsSpotTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void spotFeedMapsLegacyRegionsAndDropsNotAvailable() {
    auto parsed = parseAwsSpotFeed(test::readText(data("spot-price-test-data.json")), "aws-spot-feed", 1000);
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    // Counted with Python over the same file: 1945 sizes, 1697 Linux prices, 248 "N/A*".
    QCOMPARE(parsed->itemsRead, std::size_t{1945});
    QCOMPARE(parsed->records.size(), std::size_t{1697});
    QCOMPARE(parsed->notes.at(0), std::string("248 Linux spot prices were N/A (left out, never $0)"));
    const auto* p3 = find(*parsed, "us-east-1", "p3.2xlarge");  // "us-east"
    QVERIFY(p3);
    QCOMPARE(p3->usdPerHour, 0.918);
    QCOMPARE(p3->kind, PriceKind::Spot);
    QCOMPARE(p3->asOfUnix, std::int64_t{1000});
    QCOMPARE(find(*parsed, "eu-west-1", "p4d.24xlarge")->usdPerHour, 10.619);     // "eu-ireland"
    QCOMPARE(find(*parsed, "ap-southeast-2", "p3.16xlarge")->usdPerHour, 10.1616); // "apac-syd"
    QCOMPARE(find(*parsed, "us-east-2", "g4dn.xlarge")->usdPerHour, 0.1578);       // already a code
    QVERIFY(!find(*parsed, "us-west-1", "p3.2xlarge"));  // "N/A*" in us-west: missing, never $0
    QCOMPARE(find(*parsed, "us-west-1", "g4dn.xlarge")->usdPerHour, 0.2626);
  }

  void spotFeedJsonpWithCommentHeader() {
    auto parsed = parseAwsSpotFeed(test::readText(data("ligoj_mock-server_spot.js")));
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->records.size(), std::size_t{4});
    QCOMPARE(find(*parsed, "us-east-1", "m3.medium")->usdPerHour, 0.0127);
    QCOMPARE(find(*parsed, "eu-west-1", "x1.16xlarge")->usdPerHour, 1.4553);  // its mswin "N/A*" is not Linux
    QCOMPARE(find(*parsed, "eu-west-1", "c1.medium")->usdPerHour, 0.0284);
    QCOMPARE(find(*parsed, "eu-west-1", "r4.large")->usdPerHour, 0.0173);
  }

  void spotFeedBadInput_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("truncated") << QStringLiteral("callback({\"vers\":0.01,\"config\":{\"regions\":[") << QStringLiteral("AwsSpotFeed: not valid JSON(P)");
    QTest::newRow("no USD") << QStringLiteral("{\"config\":{\"currencies\":[\"CNY\"],\"regions\":[]}}") << QStringLiteral("AwsSpotFeed: the feed has no USD prices");
    QTest::newRow("bad price") << QStringLiteral("{\"config\":{\"currencies\":[\"USD\"],\"regions\":[{\"region\":\"us-east\",\"instanceTypes\":[{\"type\":\"g\",\"sizes\":[{\"size\":\"g5.xlarge\",\"valueColumns\":[{\"name\":\"linux\",\"prices\":{\"USD\":\"cheap\"}}]}]}]}]}}")
                               << QStringLiteral("AwsSpotFeed: us-east g5.xlarge: price 'cheap' is not a number");
    QTest::newRow("missing field") << QStringLiteral("{\"vers\":1}") << QStringLiteral("AwsSpotFeed: missing or mistyped field");
  }
  void spotFeedBadInput() {
    QFETCH(QString, text);
    QFETCH(QString, expected);
    auto parsed = parseAwsSpotFeed(text.toStdString());
    QVERIFY(!parsed);
    QVERIFY2(parsed.error().message.starts_with(expected.toStdString()), parsed.error().message.c_str());
  }

  void spotFeedSchemaSurprisesAreWarningsNotSilentDrops() {
    // A legacy region name AWS adds later, and a size without a linux column: the rest still loads.
    auto parsed = parseAwsSpotFeed(
        "{\"config\":{\"currencies\":[\"USD\"],\"regions\":[{\"region\":\"mars-north\",\"instanceTypes\":[]},"
        "{\"region\":\"us-east\",\"instanceTypes\":[{\"type\":\"g\",\"sizes\":["
        "{\"size\":\"g5.xlarge\",\"valueColumns\":[{\"name\":\"linux\",\"prices\":{\"USD\":\"0.4\"}}]},"
        "{\"size\":\"g5.2xlarge\",\"valueColumns\":[{\"name\":\"linux-v2\",\"prices\":{\"USD\":\"0.5\"}}]}]}]}]}}");
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->records.size(), std::size_t{1});
    QCOMPARE(parsed->records[0].region, std::string("us-east-1"));
    QCOMPARE(parsed->warnings.size(), std::size_t{2});
    QCOMPARE(parsed->warnings[0], std::string("AwsSpotFeed: 1 region(s) with an unknown name left out: mars-north"));
    QCOMPARE(parsed->warnings[1], std::string("AwsSpotFeed: 1 sizes without a 'linux' price column left out"));
  }

  void advisorLooksUpRangesByIndex() {
    auto parsed = parseAwsSpotAdvisor(test::readText(test::sourceDir() / "resources/pricing/raw/aws-spot-advisor-data.json"));
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->interruptions.size(), std::size_t{14962});  // Linux entries over 33 regions (Python count)
    const auto* g4dn = findBand(*parsed, "us-east-1", "g4dn.xlarge");  // {"s":64,"r":3}
    QVERIFY(g4dn);
    QCOMPARE(g4dn->band.index, 3);
    QCOMPARE(g4dn->band.label, std::string("15-20%"));
    QCOMPARE(g4dn->band.minMonthlyPercent, 15.0);
    QCOMPARE(g4dn->band.maxMonthlyPercent, 20.0);
    QCOMPARE(g4dn->savingsPercent.value(), 64);
    const auto* p5 = findBand(*parsed, "us-east-1", "p5.48xlarge");  // {"s":52,"r":4}
    QCOMPARE(p5->band.label, std::string(">20%"));
    QCOMPARE(p5->band.minMonthlyPercent, 20.0);
    QCOMPARE(p5->band.maxMonthlyPercent, 100.0);
    QCOMPARE(p5->savingsPercent.value(), 52);
  }

  void advisorRangesOutOfOrderAndMissing() {
    // ranges listed in reverse order: r must still find its band by index.
    const std::string text = kRaw0;
    auto parsed = parseAwsSpotAdvisor(text);
    QVERIFY(parsed);
    QCOMPARE(parsed->interruptions.at(0).band.label, std::string("<5%"));
    QCOMPARE(parsed->interruptions.at(0).band.maxMonthlyPercent, 5.0);
    auto missing = parseAwsSpotAdvisor(kRaw1);
    QVERIFY(!missing);
    QCOMPARE(missing.error().message, std::string("AwsSpotAdvisor: eu-west-1 p3.2xlarge: r=4 has no entry in ranges"));
    auto truncated = parseAwsSpotAdvisor(kRaw2);
    QVERIFY(!truncated);
    QCOMPARE(truncated.error().code, ErrorCode::DataLoss);
  }

  void spotHistoryKeepsLinuxAndTheNextToken() {
    auto parsed = parseAwsSpotPriceHistory(test::readText(data("boto_test_spotinstance_DescribeSpotPriceHistoryResponse.xml")), "us-west-2");
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->itemsRead, std::size_t{2});
    QCOMPARE(parsed->records.size(), std::size_t{1});  // the Windows (Amazon VPC) item is left out
    const auto& r = parsed->records[0];
    QCOMPARE(r.instanceType, std::string("c3.large"));
    QCOMPARE(r.zone, std::string("us-west-2c"));
    QCOMPARE(r.region, std::string("us-west-2"));
    QCOMPARE(r.usdPerHour, 0.032);
    QCOMPARE(formatIso8601Utc(r.asOfUnix), std::string("2013-12-28T12:17:43Z"));
    QCOMPARE(parsed->nextPage, std::string("q5GwEl5bMGjKq6YmhpDLJ7hEwyWU54jJC2GQ93n61vZV4s1+fzZ674xzvUlTihrl"));
  }

  void spotHistoryEmptyTokenEndsPaging() {
    auto parsed = parseAwsSpotPriceHistory(test::readText(data("aws-sdk-rust_paginators_empty_DescribeSpotPriceHistoryResponse.xml")));
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->records.size(), std::size_t{0});
    QCOMPARE(parsed->nextPage, std::string());
  }

  void spotHistoryNewestItemPerZoneWins() {
    const std::string xml = kRaw3;
    auto parsed = parseAwsSpotPriceHistory(xml, "us-east-1");
    QVERIFY(parsed);
    QCOMPARE(parsed->records.size(), std::size_t{2});
    QCOMPARE(parsed->records[0].zone, std::string("us-east-1a"));
    QCOMPARE(parsed->records[0].usdPerHour, 0.95);
    QCOMPARE(parsed->records[1].usdPerHour, 0.8);
  }

  void spotPriceChangesForTheHistoryChart() {
    // Two zones of us-east-1 over five instants; us-east-1a's items carry its ID, us-east-1b's do not.
    using cloud::aws::SpotPrice;
    const std::int64_t t1 = 1'764'000'000, t2 = t1 + 3600, t3 = t2 + 3600, t4 = t3 + 3600, t5 = t4 + 3600;
    const std::vector<SpotPrice> items{
        {"g5.xlarge", "us-east-1a", "use1-az6", "Linux/UNIX", 0.35, t5},  // the same price again: no change
        {"g5.xlarge", "us-east-1a", "use1-az6", "Linux/UNIX", 0.30, t1},
        {"g5.xlarge", "us-east-1b", "", "Linux/UNIX", 0.40, t4},
        {"g5.xlarge", "us-east-1a", "use1-az6", "Linux/UNIX", 0.35, t3},
        {"g5.xlarge", "us-east-1b", "", "Linux/UNIX", 0.28, t2},
        {"g5.xlarge", "us-east-1b", "", "Windows", 0.10, t3},          // not Linux
        {"g5.2xlarge", "us-east-1a", "use1-az6", "Linux/UNIX", 0.01, t3},  // another type
    };
    using Points = std::vector<std::pair<std::int64_t, double>>;
    const auto pointsOf = [](const std::vector<HistoryPoint>& history) {
      Points out;
      for (const auto& p : history) {
        if (p.fetchedUnix != p.asOfUnix || p.sourceId != "aws-spot-history") return Points{{-1, -1}};
        out.emplace_back(p.fetchedUnix, p.usdPerHour);
      }
      return out;
    };
    QCOMPARE(pointsOf(spotPriceChanges(items, "g5.xlarge", "use1-az6")), (Points{{t1, 0.30}, {t3, 0.35}}));
    QCOMPARE(pointsOf(spotPriceChanges(items, "g5.xlarge", "us-east-1a")), (Points{{t1, 0.30}, {t3, 0.35}}));
    QCOMPARE(pointsOf(spotPriceChanges(items, "g5.xlarge", "us-east-1b")), (Points{{t2, 0.28}, {t4, 0.40}}));
    // Region level: the lowest zone at each instant (t1 a 0.30; t2 b 0.28; t3 still b; t4 a 0.35 < b 0.40).
    QCOMPARE(pointsOf(spotPriceChanges(items, "g5.xlarge", "")), (Points{{t1, 0.30}, {t2, 0.28}, {t4, 0.35}}));
    QVERIFY(spotPriceChanges(items, "g5.xlarge", "use1-az1").empty());
    QVERIFY(spotPriceChanges(items, "p5.48xlarge", "").empty());
  }

  void spotHistoryErrors() {
    auto denied = parseAwsSpotPriceHistory(
        "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized &amp; so on</Message></Error></Errors></Response>");
    QVERIFY(!denied);
    QCOMPARE(denied.error().code, ErrorCode::PermissionDenied);
    QCOMPARE(denied.error().providerCode, std::string("UnauthorizedOperation"));
    QCOMPARE(denied.error().message, std::string("AwsSpotHistory: You are not authorized & so on"));
    const std::string full = test::readText(data("boto_test_spotinstance_DescribeSpotPriceHistoryResponse.xml"));
    auto truncated = parseAwsSpotPriceHistory(full.substr(0, full.size() / 2));
    QVERIFY(!truncated);
    QCOMPARE(truncated.error().code, ErrorCode::DataLoss);
    auto bad = parseAwsSpotPriceHistory(
        "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet><item><instanceType>g5.xlarge</instanceType><productDescription>Linux/UNIX</productDescription>"
        "<spotPrice>N/A</spotPrice><timestamp>2026-01-01T00:00:00Z</timestamp><availabilityZone>us-east-1a</availabilityZone></item></spotPriceHistorySet></DescribeSpotPriceHistoryResponse>");
    QVERIFY(!bad);
    QCOMPARE(bad.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(bad.error().message.starts_with("AwsSpotHistory: DescribeSpotPriceHistory: bad spotPrice 'N/A' for g5.xlarge in us-east-1a"),
             bad.error().message.c_str());
    auto noTime = parseAwsSpotPriceHistory(
        "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet><item><instanceType>g5.xlarge</instanceType><productDescription>Linux/UNIX</productDescription>"
        "<spotPrice>0.5</spotPrice><timestamp>yesterday</timestamp><availabilityZone>us-east-1a</availabilityZone></item></spotPriceHistorySet></DescribeSpotPriceHistoryResponse>");
    QVERIFY(!noTime);
    QVERIFY2(noTime.error().message.find("item 1 (us-east-1a g5.xlarge) lacks") != std::string::npos, noTime.error().message.c_str());
    auto other = parseAwsSpotPriceHistory("<DescribeInstancesResponse/>");
    QVERIFY(!other);
    QCOMPARE(other.error().message, std::string("AwsSpotHistory: <DescribeInstancesResponse> is not a DescribeSpotPriceHistoryResponse"));
  }
};

QTEST_APPLESS_MAIN(AwsSpotTest)
#include "AwsSpotTest.moc"
