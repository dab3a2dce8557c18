// `spotwise-cli prices import FORMAT FILE`, in-process, on the real fixtures.
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <fstream>

#include "CliRun.h"
#include "TestSupport.h"

using spotwise::test::runCli;

namespace {

std::string data(const char* rel) { return (spotwise::test::sourceDir() / "tests/data/pricing" / rel).string(); }

}  // namespace

class PricesImportTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void gcpBillingPrintsComposedMachinePrices() {
    const auto r = runCli({"prices", "import", "gcp-billing", data("gcp/opencost_provider_test_skus_page_A100_A2.json"), "--json"});
    QCOMPARE(r.code, 0);
    const auto j = nlohmann::json::parse(r.out);
    QCOMPARE(j["records"].size(), std::size_t{15});
    bool found = false;
    for (const auto& rec : j["records"]) {
      if (rec["instanceType"] == "a2-highgpu-1g" && rec["region"] == "us-central1") {
        QCOMPARE(rec["usdPerHour"].get<double>(), 3.673385);
        QCOMPARE(rec["kind"].get<std::string>(), std::string("on-demand"));
        QCOMPARE(rec["gpuModel"].get<std::string>(), std::string("A100-40GB"));
        found = true;
      }
    }
    QVERIFY(found);
    QVERIFY(j["nextPage"].get<std::string>().starts_with("APKCS1HVa0Ypwgy"));
  }

  void azureTableAndNotes() {
    const auto r = runCli({"prices", "import", "azure-retail", data("azure/derived_page_B16als_v2_13-rows.json")});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.find("Standard_B16als_v2  on-demand  0.673000") != std::string::npos, r.out.c_str());
    QVERIFY2(r.out.find("Standard_B16als_v2  spot       0.605700") != std::string::npos, r.out.c_str());
    QVERIFY2(r.err.find("2 price records, 0 interruption bands from 13 items; 3 DevTestConsumption rows left out") == 0, r.err.c_str());
  }

  void awsSpotHistoryWithRegion() {
    const auto r = runCli({"prices", "import", "aws-spot-history", data("aws/boto_test_spotinstance_DescribeSpotPriceHistoryResponse.xml"),
                           "--region", "us-west-2", "--json"});
    QCOMPARE(r.code, 0);
    const auto j = nlohmann::json::parse(r.out);
    QCOMPARE(j["records"].size(), std::size_t{1});
    QCOMPARE(j["records"][0]["zone"].get<std::string>(), std::string("us-west-2c"));
    QCOMPARE(j["records"][0]["usdPerHour"].get<double>(), 0.032);
  }

  void advisorPrintsBands() {
    const auto r = runCli({"prices", "import", "aws-advisor", (spotwise::test::sourceDir() / "resources/pricing/raw/aws-spot-advisor-data.json").string(), "--json"});
    QCOMPARE(r.code, 0);
    const auto j = nlohmann::json::parse(r.out);
    QCOMPARE(j["interruptions"].size(), std::size_t{14962});
    QCOMPARE(j["records"].size(), std::size_t{0});
  }

  // An offer file whose products lack regionCode: placed with --region, else left out with a warning naming the SKU.
  void awsOfferWithoutRegionCodeNeedsTheRegion() {
    auto offer = nlohmann::json::parse(spotwise::test::readText(data("aws/derived_us-east-2_p3.8xlarge_linux.json")));
    for (auto& product : offer["products"]) product["attributes"].erase("regionCode");
    QTemporaryDir dir;
    const std::string file = dir.filePath(QStringLiteral("index.json")).toStdString();
    std::ofstream(file) << offer.dump();
    const std::string warning =
        "product 9ZEEN7WWWQKAG292 (p3.8xlarge, location 'US East (Ohio)') has no regionCode and the file's region is not known: left out";
    const auto text = runCli({"prices", "import", "aws-offer", file});
    QCOMPARE(text.code, 0);
    QCOMPARE(text.out, std::string());
    QVERIFY2(text.err.find("0 price records, 0 interruption bands from 3 items\nwarning: " + warning + "\n") == 0, text.err.c_str());
    const auto json = runCli({"prices", "import", "aws-offer", file, "--json"});
    QCOMPARE(json.code, 0);
    const auto j = nlohmann::json::parse(json.out);
    QCOMPARE(j["records"].size(), std::size_t{0});
    QCOMPARE(j["warnings"], nlohmann::json::array({warning}));
    const auto placed = runCli({"prices", "import", "aws-offer", file, "--region", "us-east-2", "--json"});
    QCOMPARE(placed.code, 0);
    const auto p = nlohmann::json::parse(placed.out);
    QCOMPARE(p["records"].size(), std::size_t{1});
    QCOMPARE(p["records"][0]["region"].get<std::string>(), std::string("us-east-2"));
    QCOMPARE(p["warnings"], nlohmann::json::array());
  }

  void badInputFailsNamingTheSourceAndFile() {
    const auto cny = runCli({"prices", "import", "aws-offer", data("aws/opencost_provider_test_AmazonEC2_cn-northwest-1_excerpt.json")});
    QCOMPARE(cny.code, 1);
    QCOMPARE(cny.out, std::string());
    QVERIFY2(cny.err.find("opencost_provider_test_AmazonEC2_cn-northwest-1_excerpt.json: AwsOffer: prices are in CNY, not USD") != std::string::npos,
             cny.err.c_str());
    const auto gbp = runCli({"prices", "import", "azure-retail", data("azure/page_GBP_compact_uksouth_P6_disk.json")});
    QCOMPARE(gbp.code, 1);
    QVERIFY2(gbp.err.find("AzureRetail: page is priced in GBP, not USD") != std::string::npos, gbp.err.c_str());
    const auto unknown = runCli({"prices", "import", "ibm-catalog", data("azure/page_GBP_compact_uksouth_P6_disk.json")});
    QCOMPARE(unknown.code, 2);  // usage error
    const auto missing = runCli({"prices", "import", "aws-offer", "/nonexistent/file.json"});
    QCOMPARE(missing.code, 2);
  }
};

QTEST_APPLESS_MAIN(PricesImportTest)
#include "PricesImportTest.moc"
