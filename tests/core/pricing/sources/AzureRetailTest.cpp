#include "TestSupport.h"
#include "core/common/Time.h"
#include "core/pricing/sources/azure/AzureRetail.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace spotwise::pricing::sources;

namespace {
const char* const kRaw0 = "{\"currencyCode\":\"USD\",\"tierMinimumUnits\":0.0,\"retailPrice\":";
const char* const kRaw1 = ",\"unitPrice\":0.673,\"armRegionName\":\"australiacentral\",\"location\":\"AU Central\",\"effectiveStartDate\":\"";
const char* const kRaw2 = "\",\"meterName\":\"B16als v2\",\"productName\":\"Virtual Machines Basv2 Series\",\"skuName\":\"";
const char* const kRaw3 = "\",\"serviceName\":\"Virtual Machines\",\"serviceFamily\":\"Compute\",\"unitOfMeasure\":\"1 Hour\",\"type\":\"Consumption\",\"isPrimaryMeterRegion\":true,\"armSkuName\":\"Standard_B16als_v2\"}";
const char* const kRaw4 = "{\"BillingCurrency\":\"USD\",\"CustomerEntityId\":\"Default\",\"CustomerEntityType\":\"Retail\",\"Items\":[";
const char* const kRaw5 = "],\"NextPageLink\":";
const char* const kRaw6 = ",\"Count\":1}";
const char* const kRaw7 = "{\"currencyCode\":\"EUR\"}";
}  // namespace

namespace {
std::filesystem::path data(const char* name) { return test::sourceDir() / "tests/data/pricing/azure" / name; }
const std::int64_t kNow = *parseIso8601Utc("2026-11-28T00:00:00Z");

bool hasNote(const ParsedPrices& p, const std::string& note) { return std::ranges::find(p.notes, note) != p.notes.end(); }

/** One Consumption item of the real B16als v2 row, with a chosen price, sku name and start date. */
std::string item(double price, const char* skuName, const char* start) {
  return std::string(kRaw0) + std::to_string(price) +
         kRaw1 + start +
         kRaw2 + skuName +
         kRaw3;
}
std::string page(const std::string& items, const char* next = "null") {
  return kRaw4 + items +
         kRaw5 + next + kRaw6;
}
}  // namespace


class AzureRetailTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void thirteenRowsOfOneSizeGiveOneOnDemandAndOneSpotPrice() {
    // The real 13-row projection for Standard_B16als_v2 in australiacentral (SOURCES.md): only the
    // Linux Consumption row (0.673) and the Linux Spot row (0.6057) are prices; Low Priority (0.135,
    // cheaper than Spot), Windows, DevTest, Reservation and Cloud Services rows are not.
    auto parsed = parseAzureRetail(test::readText(data("derived_page_B16als_v2_13-rows.json")), kNow);
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    QCOMPARE(parsed->itemsRead, std::size_t{13});
    QCOMPARE(parsed->records.size(), std::size_t{2});
    const auto& onDemand = parsed->records[0];
    const auto& spot = parsed->records[1];
    QCOMPARE(onDemand.kind, PriceKind::OnDemand);
    QCOMPARE(onDemand.instanceType, std::string("Standard_B16als_v2"));
    QCOMPARE(onDemand.region, std::string("australiacentral"));
    QCOMPARE(onDemand.usdPerHour, 0.673);
    QCOMPARE(spot.kind, PriceKind::Spot);
    QCOMPARE(spot.usdPerHour, 0.6057);
    QCOMPARE(formatIso8601Utc(spot.asOfUnix), std::string("2023-09-01T00:00:00Z"));
    QVERIFY(hasNote(*parsed, "3 DevTestConsumption rows left out"));
    QVERIFY(hasNote(*parsed, "2 Reservation rows left out"));
    QVERIFY(hasNote(*parsed, "3 Windows rows left out"));
    QVERIFY(hasNote(*parsed, "1 Low Priority (legacy Batch) meters left out"));
    QVERIFY(hasNote(*parsed, "2 legacy products (Basv2 Series Cloud Services) left out"));
    QCOMPARE(parsed->nextPage, std::string());
  }

  void verbatimItemsKeepOnlyTheLinuxConsumptionRow() {
    auto parsed = parseAzureRetail(test::readText(data("derived_page_B16als_v2_3-items.json")), kNow);
    QVERIFY(parsed);
    QCOMPARE(parsed->records.size(), std::size_t{1});
    QCOMPARE(parsed->records[0].usdPerHour, 0.673);  // not the Reservation's 3478.0 term total
  }

  void realEmptyPageEndsPaging() {
    auto parsed = parseAzureRetail(test::readText(data("page_empty_eastus_Standard_B1s_Reservation.json")), kNow);
    QVERIFY(parsed);
    QCOMPARE(parsed->records.size(), std::size_t{0});
    QCOMPARE(parsed->nextPage, std::string());
  }

  void latestEffectiveDateNotInTheFutureWins() {
    const std::string items = item(0.70, "B16als v2", "2022-01-01T00:00:00Z") + "," + item(0.673, "B16als v2", "2023-09-01T00:00:00Z") +
                              "," + item(0.50, "B16als v2", "2027-01-01T00:00:00Z");
    auto parsed = parseAzureRetail(page(items, "\"https://prices.azure.com:443/api/retail/prices?$skip=1000\""), kNow);
    QVERIFY(parsed);
    QCOMPARE(parsed->records.size(), std::size_t{1});
    QCOMPARE(parsed->records[0].usdPerHour, 0.673);
    QVERIFY(hasNote(*parsed, "1 rows effective only in the future left out"));
    QCOMPARE(parsed->nextPage, std::string("https://prices.azure.com:443/api/retail/prices?$skip=1000"));
  }

  void badPagesAreRejectedNamingTheSource_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<int>("code");
    QTest::newRow("GBP page") << QString::fromStdString(test::readText(data("page_GBP_compact_uksouth_P6_disk.json")))
                              << QStringLiteral("AzureRetail: page is priced in GBP, not USD") << int(ErrorCode::InvalidArgument);
    const std::string full = test::readText(data("derived_page_B16als_v2_13-rows.json"));
    QTest::newRow("truncated") << QString::fromStdString(full.substr(0, full.size() / 2))
                               << QStringLiteral("AzureRetail: page is not valid JSON") << int(ErrorCode::DataLoss);
    QTest::newRow("no items") << QStringLiteral("{\"error\":\"throttled\"}") << QStringLiteral("AzureRetail: page has no Items array")
                              << int(ErrorCode::InvalidArgument);
    QTest::newRow("row in EUR") << QString::fromStdString(page(std::string(kRaw7)))
                                << QStringLiteral("AzureRetail: item 1: currencyCode is 'EUR', not USD") << int(ErrorCode::InvalidArgument);
    std::string noPrice = item(1, "B16als v2", "2023-09-01T00:00:00Z");
    noPrice.replace(noPrice.find("\"retailPrice\":"), 14, "\"retailPriceX\":");
    QTest::newRow("no price") << QString::fromStdString(page(noPrice))
                              << QStringLiteral("AzureRetail: item 1: retailPrice missing or not a number") << int(ErrorCode::InvalidArgument);
  }
  void badPagesAreRejectedNamingTheSource() {
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QFETCH(int, code);
    auto parsed = parseAzureRetail(text.toStdString(), kNow);
    QVERIFY(!parsed);
    QCOMPARE(int(parsed.error().code), code);
    QVERIFY2(parsed.error().message.starts_with(expected.toStdString()), parsed.error().message.c_str());
  }
};

QTEST_APPLESS_MAIN(AzureRetailTest)
#include "AzureRetailTest.moc"
