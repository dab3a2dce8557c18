// The SkyPilot catalog importer on the real recorded catalog files, with values checked by hand.
#include <algorithm>

#include "TestSupport.h"
#include "core/pricing/SkyPilotImporter.h"

using namespace spotwise;
using namespace spotwise::pricing;

namespace {

const std::filesystem::path kRaw = test::sourceDir() / "resources/pricing/raw";

ImportReport importFile(const char* file, CloudProvider provider, const std::vector<AzureGpuSize>& sizes = {}) {
  auto report = importSkyPilotCatalog(test::readText(kRaw / file), {provider, "test-source", 1764288000}, sizes);
  if (!report) qFatal("import failed: %s", report.error().toString().c_str());
  return std::move(report.value());
}

const Offer* find(const ImportReport& report, std::string_view type, std::string_view region, std::string_view zone = "") {
  const auto it = std::ranges::find_if(report.offers, [&](const Offer& o) {
    return o.instanceType == type && o.region == region && o.zone == zone;
  });
  return it == report.offers.end() ? nullptr : &*it;
}

}  // namespace

class SkyPilotImporterTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void gcpHostPlusAcceleratorRow() {
    const auto report = importFile("skypilot-v8-gcp-vms.csv", CloudProvider::Gcp);
    // a3-highgpu-1g, us-central1-a: host 1.18251 + H100×1 4.20076 = 5.38327 on demand;
    // spot 0.36117 + 2.9926 = 3.35377. Every us-central1 zone has the same price → region-wide.
    const Offer* o = find(report, "a3-highgpu-1g", "us-central1");
    QVERIFY(o);
    QCOMPARE(o->gpuModel, std::string("H100"));
    QCOMPARE(o->gpuCount, 1);
    QCOMPARE(o->gpuMemoryGiB, 80.0);
    QCOMPARE(o->vcpus, 26.0);
    QCOMPARE(o->ramGiB, 234.0);
    QVERIFY(o->onDemand && o->spot);
    QCOMPARE(o->onDemand->usdPerHour, 5.38327);
    QCOMPARE(o->spot->usdPerHour, 3.35377);
    QCOMPARE(o->onDemand->sourceId, std::string("test-source"));
    QCOMPARE(o->onDemand->asOfUnix, std::int64_t{1764288000});
  }

  void gcpSpotAboveOnDemandAcceleratorStillAddsUp() {
    const auto report = importFile("skypilot-v8-gcp-vms.csv", CloudProvider::Gcp);
    // a2-ultragpu-2g, europe-west4-a: host 2.42101 + A100-80GB×2 4.0657 = 6.48671;
    // spot 0.94656 + 4.3252 = 5.27176 (the GPU row's spot is above its on-demand; the total is not).
    const Offer* o = find(report, "a2-ultragpu-2g", "europe-west4");
    QVERIFY(o);
    QCOMPARE(o->gpuModel, std::string("A100-80GB"));
    QCOMPARE(o->gpuCount, 2);
    QCOMPARE(o->onDemand->usdPerHour, 6.48671);
    QCOMPARE(o->spot->usdPerHour, 5.27176);
    QVERIFY(!o->spotAboveOnDemand());
    QVERIFY(std::abs(*o->savingsPercent() - 18.72986) < 1e-4);
  }

  void gcpHostWithoutGpuPriceIsLeftOutNotShownHostOnly() {
    const auto report = importFile("skypilot-v8-gcp-vms.csv", CloudProvider::Gcp);
    // The excerpt has no A100-40GB accelerator rows, so no a2-highgpu offer may appear at all.
    QVERIFY(std::ranges::none_of(report.offers, [](const Offer& o) { return o.instanceType.starts_with("a2-highgpu"); }));
    QVERIFY(std::ranges::any_of(report.notes, [](const std::string& n) { return n.find("a2-highgpu-1g") != std::string::npos; }));
    // TPU rows and the n1-highmem-8 CPU row are not GPU offers.
    QVERIFY(std::ranges::none_of(report.offers, [](const Offer& o) { return o.gpuModel.starts_with("tpu"); }));
    QVERIFY(!find(report, "n1-highmem-8", "us-central2"));
  }

  void awsZonesWithDifferentSpotPricesStaySeparate() {
    const auto report = importFile("skypilot-v8-aws-vms.csv", CloudProvider::Aws);
    // g4dn.xlarge in us-east-1: five AZs, five different spot prices.
    const auto count = std::ranges::count_if(report.offers, [](const Offer& o) {
      return o.instanceType == "g4dn.xlarge" && o.region == "us-east-1";
    });
    QCOMPARE(count, 5);
    const Offer* o = find(report, "g4dn.xlarge", "us-east-1", "use1-az2");
    QVERIFY(o);
    QCOMPARE(o->gpuModel, std::string("T4"));
    QCOMPARE(o->gpuCount, 1);
    QCOMPARE(o->gpuMemoryGiB, 16.0);
    QCOMPARE(o->onDemand->usdPerHour, 0.526);
    QCOMPARE(o->spot->usdPerHour, 0.2);
    QVERIFY(std::abs(*o->savingsPercent() - (0.526 - 0.2) / 0.526 * 100) < 1e-9);
  }

  void awsMissingPricesStayMissing() {
    const auto report = importFile("skypilot-v8-aws-vms.csv", CloudProvider::Aws);
    // p5e.48xlarge in ap-southeast-3: az1 has only a spot price (19.4254), az3 has neither.
    int p5eSe3 = 0;
    for (const auto& o : report.offers) {
      if (o.instanceType != "p5e.48xlarge" || o.region != "ap-southeast-3") continue;
      ++p5eSe3;
      QVERIFY(!o.onDemand);
      QCOMPARE(o.spot->usdPerHour, 19.4254);
      QCOMPARE(o.gpuModel, std::string("H200"));
      QCOMPARE(o.gpuMemoryGiB, 141.0);
      QVERIFY(!o.savingsPercent());
    }
    QCOMPARE(p5eSe3, 1);
    QVERIFY(std::ranges::none_of(report.offers, [](const Offer& o) {
      return (o.onDemand && o.onDemand->usdPerHour == 0.0) || (o.spot && o.spot->usdPerHour == 0.0);
    }));
  }

  void azureSizeTableCorrectsCatalog() {
    auto sizes = parseAzureGpuSizes(test::readText(kRaw / "azure-gpu-sizes.csv"));
    QVERIFY(sizes);
    const auto report = importFile("skypilot-v6-azure-vms.csv", CloudProvider::Azure, *sizes);
    // SkyPilot v6 says 12 GPUs; the ND H100 v5 size has 8.
    const Offer* nd = find(report, "Standard_ND96isr_H100_v5", "eastus");
    QVERIFY(nd);
    QCOMPARE(nd->gpuCount, 8);
    QCOMPARE(nd->gpuModel, std::string("H100"));
    QCOMPARE(nd->onDemand->usdPerHour, 98.32);
    QCOMPARE(*nd->savingsPercent(), 0.0);
    const Offer* t4 = find(report, "Standard_NC4as_T4_v3", "eastus");
    QVERIFY(t4);
    QCOMPARE(t4->ramGiB, 28.0);
    QCOMPARE(t4->onDemand->usdPerHour, 0.526);
    QCOMPARE(t4->spot->usdPerHour, 0.062699);
    // "A100" in Azure's catalog is the 40 GB part.
    QVERIFY(find(report, "Standard_ND96asr_v4", "eastus"));
    QCOMPARE(find(report, "Standard_ND96asr_v4", "eastus")->gpuModel, std::string("A100-40GB"));
    QVERIFY(std::ranges::none_of(report.offers, [](const Offer& o) { return o.instanceType.ends_with("_Promo"); }));
  }

  void malformedInputsNameTheProblem_data() {
    QTest::addColumn<QString>("csv");
    QTest::addColumn<QString>("expected");
    const QString header = QStringLiteral(
        "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone\n");
    QTest::newRow("missing column") << QStringLiteral("InstanceType,Price\nx,1\n") << QStringLiteral("column 'AcceleratorName' missing");
    QTest::newRow("bad number") << header + QStringLiteral("g4dn.xlarge,T4,1,4,16,,abc,0.2,us-east-1,use1-az1\n")
                                << QStringLiteral("line 2: Price is not a non-negative number: 'abc'");
    QTest::newRow("negative price") << header + QStringLiteral("g4dn.xlarge,T4,1,4,16,,-1,0.2,us-east-1,use1-az1\n")
                                    << QStringLiteral("line 2: Price is not a non-negative number");
    QTest::newRow("short row") << header + QStringLiteral("g4dn.xlarge,T4,1\n") << QStringLiteral("CSV line 2: 3 fields, header has 10");
    QTest::newRow("truncated quote") << header + QStringLiteral("g4dn.xlarge,T4,1,4,16,\"{'Gpus'") << QStringLiteral("never closed");
    QTest::newRow("empty region") << header + QStringLiteral("g4dn.xlarge,T4,1,4,16,,1,0.2,,use1-az1\n") << QStringLiteral("Region is empty");
    QTest::newRow("empty file") << QString() << QStringLiteral("empty file");
  }

  void malformedInputsNameTheProblem() {
    QFETCH(QString, csv);
    QFETCH(QString, expected);
    const auto result = importSkyPilotCatalog(csv.toStdString(), {CloudProvider::Aws, "s", 0});
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::InvalidArgument);
    const QString message = QString::fromStdString(result.error().message);
    QVERIFY2(message.startsWith(QStringLiteral("ImportSkyPilot: ")), qPrintable(message));
    QVERIFY2(message.contains(expected), qPrintable(message));
  }
};

QTEST_APPLESS_MAIN(SkyPilotImporterTest)
#include "SkyPilotImporterTest.moc"
