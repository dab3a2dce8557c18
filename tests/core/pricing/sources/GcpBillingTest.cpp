#include <cmath>

#include "TestSupport.h"
#include "core/common/Time.h"
#include "core/pricing/sources/gcp/GcpBilling.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace spotwise::pricing::sources;

namespace {
std::filesystem::path data(const char* name) { return test::sourceDir() / "tests/data/pricing/gcp" / name; }

const PriceRecord* find(const ParsedPrices& p, std::string_view region, std::string_view type, PriceKind kind) {
  for (const auto& r : p.records) {
    if (r.region == region && r.instanceType == type && r.kind == kind) return &r;
  }
  return nullptr;
}
}  // namespace

namespace {
const char* const kRaw0 = "{\"skus\":[\n"
    "      {\"skuId\":\"1\",\"description\":\"Spot Preemptible A2 Instance Core running in Americas\",\"category\":{\"resourceFamily\":\"Compute\",\"resourceGroup\":\"CPU\",\"usageType\":\"Preemptible\"},\"serviceRegions\":[\"us-central1\"],\n"
    "       \"pricingInfo\":[{\"pricingExpression\":{\"usageUnit\":\"h\",\"tieredRates\":[{\"startUsageAmount\":0,\"unitPrice\":{\"currencyCode\":\"USD\",\"units\":\"0\",\"nanos\":9483000}}]},\"effectiveTime\":\"2024-01-01T00:00:00Z\"},\n"
    "                      {\"pricingExpression\":{\"usageUnit\":\"h\",\"tieredRates\":[{\"startUsageAmount\":0,\"unitPrice\":{\"currencyCode\":\"USD\",\"units\":\"0\",\"nanos\":1}}]},\"effectiveTime\":\"2023-01-01T00:00:00Z\"}]},\n"
    "      {\"skuId\":\"2\",\"description\":\"Spot Preemptible A2 Instance Ram running in Americas\",\"category\":{\"resourceFamily\":\"Compute\",\"resourceGroup\":\"RAM\",\"usageType\":\"Preemptible\"},\"serviceRegions\":[\"us-central1\"],\n"
    "       \"pricingInfo\":[{\"pricingExpression\":{\"usageUnit\":\"GiBy.h\",\"tieredRates\":[{\"startUsageAmount\":0,\"unitPrice\":{\"currencyCode\":\"USD\",\"units\":\"0\",\"nanos\":1271000}}]},\"effectiveTime\":\"2024-01-01T00:00:00Z\"}]},\n"
    "      {\"skuId\":\"3\",\"description\":\"Nvidia Tesla A100 GPU attached to Spot Preemptible VMs running in Americas\",\"category\":{\"resourceFamily\":\"Compute\",\"resourceGroup\":\"GPU\",\"usageType\":\"Preemptible\"},\"serviceRegions\":[\"us-central1\"],\n"
    "       \"pricingInfo\":[{\"pricingExpression\":{\"usageUnit\":\"h\",\"tieredRates\":[{\"startUsageAmount\":0,\"unitPrice\":{\"currencyCode\":\"USD\",\"units\":\"0\",\"nanos\":0}},{\"startUsageAmount\":1,\"unitPrice\":{\"currencyCode\":\"USD\",\"units\":\"1\",\"nanos\":100000000}}]},\"effectiveTime\":\"2024-01-01T00:00:00Z\"}]},\n"
    "      {\"skuId\":\"4\",\"description\":\"Commitment v1: A2 Cpu in Americas for 1 Year\",\"category\":{\"resourceFamily\":\"Compute\",\"resourceGroup\":\"CPU\",\"usageType\":\"Commit1Yr\"},\"serviceRegions\":[\"us-central1\"],\"pricingInfo\":[]},\n"
    "      {\"skuId\":\"5\",\"description\":\"Custom Instance Core running in Americas\",\"category\":{\"resourceFamily\":\"Compute\",\"resourceGroup\":\"CPU\",\"usageType\":\"OnDemand\"},\"serviceRegions\":[\"us-central1\"],\"pricingInfo\":[]}\n"
    "    ],\"nextPageToken\":\"\"}\n";
}  // namespace

class GcpBillingTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void skuPricesAreUnitsPlusNanos() {
    auto page = parseGcpSkuPage(test::readText(data("opencost_provider_test_skus_page_A100_A2.json")));
    QVERIFY2(page, page ? "" : page.error().toString().c_str());
    QCOMPARE(page->components.size(), std::size_t{3});
    const auto& gpu = page->components[0];
    QCOMPARE(gpu.part, GcpComponentPrice::Part::Gpu);
    QCOMPARE(gpu.gpuSku, std::string("Tesla A100"));
    QCOMPARE(gpu.usdPerUnit, 2.933908);  // units "2" + nanos 933908000
    QCOMPARE(gpu.kind, PriceKind::OnDemand);
    QCOMPARE(gpu.regions, (std::vector<std::string>{"us-central1", "us-east1", "us-west1"}));
    QCOMPARE(page->components[1].part, GcpComponentPrice::Part::Ram);
    QCOMPARE(page->components[1].family, std::string("A2"));
    QCOMPARE(page->components[1].usdPerUnit, 0.004237);
    QCOMPARE(page->components[2].part, GcpComponentPrice::Part::Core);
    QCOMPARE(page->components[2].usdPerUnit, 0.031611);
    QVERIFY(page->nextPageToken.starts_with("APKCS1HVa0Ypwgy"));
  }

  void a2HighGpu1gIsComposedFromCoreRamAndGpu() {
    auto parsed = parseGcpBilling(test::readText(data("opencost_provider_test_skus_page_A100_A2.json")));
    QVERIFY(parsed);
    // 12 × 0.031611 + 85 × 0.004237 + 1 × 2.933908 = 0.379332 + 0.360145 + 2.933908 = 3.673385
    const auto* a2 = find(*parsed, "us-central1", "a2-highgpu-1g", PriceKind::OnDemand);
    QVERIFY(a2);
    QCOMPARE(a2->usdPerHour, 3.673385);
    QCOMPARE(a2->gpuModel, std::string("A100-40GB"));
    QCOMPARE(a2->gpuCount, 1);
    QCOMPARE(formatIso8601Utc(a2->asOfUnix), std::string("2023-03-24T10:52:50Z"));
    // 96 × 0.031611 + 1360 × 0.004237 + 16 × 2.933908 = 3.034656 + 5.76232 + 46.942528 = 55.739504
    QCOMPARE(find(*parsed, "us-west1", "a2-megagpu-16g", PriceKind::OnDemand)->usdPerHour, 55.739504);
    // 5 A2 machines with A100-40GB × 3 regions, on-demand only (the page has no Preemptible SKUs).
    QCOMPARE(parsed->records.size(), std::size_t{15});
    QVERIFY(!find(*parsed, "us-central1", "a2-highgpu-1g", PriceKind::Spot));
    QVERIFY(!find(*parsed, "us-central1", "a2-ultragpu-1g", PriceKind::OnDemand));  // no A100 80GB SKU: no price, not a partial one
  }

  void preemptibleSkusPriceSpotAndTheRestIsIgnored() {
    const std::string page = kRaw0;
    auto parsed = parseGcpBilling(page);
    QVERIFY2(parsed, parsed ? "" : parsed.error().toString().c_str());
    // 12 × 0.009483 + 85 × 0.001271 + 1 × 1.1 = 0.113796 + 0.108035 + 1.1 = 1.321831 (latest pricingInfo, free tier skipped)
    const auto* spot = find(*parsed, "us-central1", "a2-highgpu-1g", PriceKind::Spot);
    QVERIFY(spot);
    QCOMPARE(spot->usdPerHour, 1.321831);
    QVERIFY(std::ranges::find(parsed->notes, std::string("1 Commit1Yr SKUs left out")) != parsed->notes.end());
    QVERIFY(std::ranges::find(parsed->notes, std::string("1 other compute SKUs left out")) != parsed->notes.end());
    QCOMPARE(parsed->nextPage, std::string());
  }

  void tieredNetworkSkuIsNotAMachineComponent() {
    auto parsed = parseGcpSkuPage(test::readText(data("cyclenerd_skus_tiered_example_02EE-77CE-ACCD.json")));
    QVERIFY(parsed);
    QCOMPARE(parsed->components.size(), std::size_t{0});
    QCOMPARE(parsed->notes, (std::vector<std::string>{"1 non-compute SKUs left out"}));
  }

  void badPages_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    const std::string full = test::readText(data("opencost_provider_test_skus_page_A100_A2.json"));
    QTest::newRow("truncated") << QString::fromStdString(full.substr(0, 2000)) << QStringLiteral("GcpBilling: page is not valid JSON");
    std::string eur = full;
    eur.replace(eur.find("\"USD\""), 5, "\"EUR\"");
    QTest::newRow("EUR") << QString::fromStdString(eur) << QStringLiteral("GcpBilling: SKU 039F-D0DA-4055: priced in 'EUR', not USD");
    std::string badNanos = full;
    badNanos.replace(badNanos.find("933908000"), 9, "\"lots\"");
    QTest::newRow("bad nanos") << QString::fromStdString(badNanos) << QStringLiteral("GcpBilling: SKU 039F-D0DA-4055: unitPrice units/nanos are not numbers");
    QTest::newRow("api error") << QStringLiteral("{\"error\":{\"code\":403,\"message\":\"API key not valid\"}}")
                               << QStringLiteral("GcpBilling: API error: API key not valid");
  }

  void unexpectedSkusAreWarnedAboutNotSilentlyDropped() {
    const std::string full = test::readText(data("opencost_provider_test_skus_page_A100_A2.json"));
    const auto clean = parseGcpSkuPage(full);
    QVERIFY(clean);
    QVERIFY(clean->warnings.empty());
    std::string changed = full;
    changed.replace(changed.find("\"GiBy.h\""), 8, "\"GiBy.mo\"");
    const auto page = parseGcpSkuPage(changed);
    QVERIFY2(page, page ? "" : page.error().toString().c_str());
    QCOMPARE(page->components.size(), clean->components.size() - 1);  // that SKU only
    QCOMPARE(page->warnings.size(), std::size_t{1});
    QCOMPARE(page->warnings[0], std::string("GcpBilling: 1 SKUs in usageUnit 'GiBy.mo' where 'GiBy.h' was expected left out (the API may have changed)"));
    const auto parsed = parseGcpBilling(changed);
    QVERIFY(parsed);
    QCOMPARE(parsed->warnings, page->warnings);
  }
  void badPages() {
    QFETCH(QString, text);
    QFETCH(QString, expected);
    auto parsed = parseGcpBilling(text.toStdString());
    QVERIFY(!parsed);
    QVERIFY2(parsed.error().message.starts_with(expected.toStdString()), parsed.error().message.c_str());
  }
};

QTEST_APPLESS_MAIN(GcpBillingTest)
#include "GcpBillingTest.moc"
