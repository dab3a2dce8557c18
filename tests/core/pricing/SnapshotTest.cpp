#include <QTemporaryDir>

#include <algorithm>

#include "TestSupport.h"
#include "core/common/Time.h"
#include "core/pricing/Snapshot.h"

using namespace spotwise;
using namespace spotwise::pricing;

namespace {

const Offer* findOffer(const Snapshot& snapshot, CloudProvider provider, std::string_view region, std::string_view type) {
  const auto it = std::ranges::find_if(snapshot.offers, [&](const Offer& o) {
    return o.provider == provider && o.region == region && o.instanceType == type;
  });
  return it == snapshot.offers.end() ? nullptr : &*it;
}

/** A manifest.json in `dir` with `sources` (JSON array text); data files are named by absolute path. */
void writeManifest(const QTemporaryDir& dir, const std::string& sources) {
  test::writeFile(dir.filePath(QStringLiteral("manifest.json")), R"({"createdAt": "2026-11-28T00:00:00Z", "sources": )" + sources + "}");
}

std::string dataFile(const char* relative) { return (test::sourceDir() / "tests/data/pricing" / relative).string(); }

}  // namespace

class SnapshotTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void committedSnapshotIsWhatTheImporterBuildsFromTheRawFiles() {
    // resources/pricing/snapshot.json must be exactly `spotwise-cli prices snapshot --from
    // resources/pricing/raw`: the data shipped can't drift from its recorded sources.
    auto rebuilt = buildSnapshotFromDirectory(test::sourceDir() / "resources/pricing/raw");
    QVERIFY2(rebuilt, rebuilt ? "" : rebuilt.error().toString().c_str());
    const std::string committed = test::readText(test::sourceDir() / "resources/pricing/snapshot.json");
    QVERIFY2(serializeSnapshot(*rebuilt) == committed,
             "snapshot.json is stale: run spotwise-cli prices snapshot --from resources/pricing/raw --out resources/pricing/snapshot.json");
  }

  void embeddedSnapshotHasEveryProviderAndItsSources() {
    auto snapshot = embeddedSnapshot();
    QVERIFY(snapshot);
    QVERIFY(snapshot->offers.size() > 300);
    QCOMPARE(snapshot->sources.size(), std::size_t{4});  // 3 SkyPilot catalogs + the AWS Spot Advisor
    for (auto provider : {CloudProvider::Aws, CloudProvider::Gcp, CloudProvider::Azure}) {
      QVERIFY(std::ranges::any_of(snapshot->offers, [&](const Offer& o) { return o.provider == provider && o.spot; }));
    }
    QCOMPARE(formatIsoDateUtc(snapshot->oldestAsOf()), std::string("2026-11-28"));
    for (const auto& o : snapshot->offers) {
      QVERIFY(o.onDemand || o.spot);
      if (o.onDemand) QVERIFY(snapshot->source(o.onDemand->sourceId));
      QVERIFY(o.gpuCount > 0);
    }
  }

  void awsOffersCarryTheSpotAdvisorBand() {
    // spot-advisor-data.json: us-east-1 Linux g4dn.xlarge is {"s":64,"r":3}, ranges[index 3] = "15-20%".
    auto snapshot = embeddedSnapshot();
    QVERIFY(snapshot);
    const auto* advisor = snapshot->source("aws-spot-advisor");
    QVERIFY(advisor && advisor->interruptionsOnly);
    int checked = 0;
    for (const auto& o : snapshot->offers) {
      if (o.provider != CloudProvider::Aws || o.region != "us-east-1" || o.instanceType != "g4dn.xlarge") continue;
      QVERIFY(o.interruption);
      QCOMPARE(o.interruption->label, std::string("15-20%"));
      QCOMPARE(o.interruption->index, 3);
      QCOMPARE(o.interruption->sourceId, std::string("aws-spot-advisor"));
      ++checked;
    }
    QVERIFY(checked > 0);
    for (const auto& o : snapshot->offers) {
      if (o.provider != CloudProvider::Aws) QVERIFY(!o.interruption);  // the advisor is AWS-only
    }
  }

  void roundTripIsLossless() {
    auto snapshot = embeddedSnapshot();
    QVERIFY(snapshot);
    const std::string once = serializeSnapshot(*snapshot);
    auto again = parseSnapshot(once);
    QVERIFY(again);
    QCOMPARE(serializeSnapshot(*again), once);
  }

  void malformedSnapshotsAreRejectedClearly_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("truncated") << QStringLiteral("{\"format\":\"spotwise-snapshot/1\",\"offers\":[") << QStringLiteral("not valid JSON");
    QTest::newRow("wrong format") << QStringLiteral("{\"format\":\"other\"}") << QStringLiteral("not a spotwise-snapshot/1 document");
    const QString head = QStringLiteral(
        "{\"format\":\"spotwise-snapshot/1\",\"createdAt\":\"2026-11-28T00:00:00Z\",\"sources\":[{\"id\":\"s\",\"provider\":\"aws\",\"asOf\":\"2026-11-28\"}],\"offers\":[");
    QTest::newRow("unknown source") << head + QStringLiteral("{\"provider\":\"aws\",\"region\":\"r\",\"instanceType\":\"t\",\"gpuModel\":\"T4\",\"gpuCount\":1,\"gpuMemoryGiB\":16,\"vcpus\":4,\"ramGiB\":16,\"spot\":{\"usdPerHour\":1,\"source\":\"x\"}}]}")
                                    << QStringLiteral("offer 0: unknown source 'x'");
    QTest::newRow("mistyped") << head + QStringLiteral("{\"provider\":\"aws\",\"region\":\"r\",\"instanceType\":\"t\",\"gpuModel\":\"T4\",\"gpuCount\":\"one\"}]}")
                              << QStringLiteral("missing or mistyped field");
    QTest::newRow("bad provider") << head + QStringLiteral("{\"provider\":\"ibm\"}]}") << QStringLiteral("offer 0: unknown provider");
  }

  void malformedSnapshotsAreRejectedClearly() {
    QFETCH(QString, json);
    QFETCH(QString, expected);
    auto result = parseSnapshot(json.toStdString());
    QVERIFY(!result);
    const QString message = QString::fromStdString(result.error().message);
    QVERIFY2(message.startsWith(QStringLiteral("ReadSnapshot: ")) && message.contains(expected), qPrintable(message));
  }

  void liveSourceRecordingsBuildASnapshot() {
    // `prices snapshot --from DIR` on recorded responses of the live sources, an Azure query recorded
    // as its two pages: every price lands on its machine, with its source.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    writeManifest(dir, R"([
      {"id": "aws-offer", "provider": "aws", "format": "aws-offer", "region": "us-east-2", "asOf": "2026-11-20T00:00:00Z",
       "file": ")" + dataFile("aws/derived_us-east-2_p3.8xlarge_linux.json") + R"("},
      {"id": "aws-spot-feed", "provider": "aws", "format": "aws-spot-feed", "asOf": "2026-11-21T00:00:00Z",
       "file": ")" + dataFile("aws/spot-price-test-data.json") + R"("},
      {"id": "gcp-billing", "provider": "gcp", "format": "gcp-billing", "asOf": "2026-11-22T00:00:00Z",
       "file": ")" + dataFile("gcp/opencost_provider_test_skus_page_A100_A2.json") + R"("},
      {"id": "azure-retail", "provider": "azure", "format": "azure-retail", "asOf": "2026-11-23T00:00:00Z",
       "files": [")" + dataFile("azure/derived_pages_NC4as_T4_v3_eastus_1.json") + R"(", ")" +
                                    dataFile("azure/derived_pages_NC4as_T4_v3_eastus_2.json") + R"("]}])");
    auto snapshot = buildSnapshotFromDirectory(dir.path().toStdString());
    QVERIFY2(snapshot, snapshot ? "" : snapshot.error().message.c_str());
    QCOMPARE(snapshot->sources.size(), std::size_t{4});

    const Offer* p3 = findOffer(*snapshot, CloudProvider::Aws, "us-east-2", "p3.8xlarge");
    QVERIFY(p3 && p3->onDemand && p3->spot);
    QCOMPARE(p3->onDemand->usdPerHour, 12.24);  // the offer file's Linux/Shared/Used price
    QCOMPARE(p3->onDemand->sourceId, std::string("aws-offer"));
    QCOMPARE(p3->spot->usdPerHour, 3.672);  // the spot feed's us-east-2 linux price
    QCOMPARE(p3->spot->sourceId, std::string("aws-spot-feed"));
    QCOMPARE(p3->gpuModel, std::string("V100"));
    QCOMPARE(p3->gpuCount, 4);

    const Offer* a2 = findOffer(*snapshot, CloudProvider::Gcp, "us-central1", "a2-highgpu-1g");
    QVERIFY(a2 && a2->onDemand);
    QCOMPARE(a2->onDemand->usdPerHour, 3.673385);  // 12 × 0.031611 + 85 × 0.004237 + 2.933908
    QVERIFY(!a2->spot);  // the page has no Preemptible SKUs for it: missing, never $0

    const Offer* t4 = findOffer(*snapshot, CloudProvider::Azure, "eastus", "Standard_NC4as_T4_v3");
    QVERIFY(t4 && t4->onDemand && t4->spot);
    QCOMPARE(t4->onDemand->usdPerHour, 0.526);  // page 1
    QCOMPARE(t4->spot->usdPerHour, 0.062699);  // page 2
    QCOMPARE(t4->spot->sourceId, std::string("azure-retail"));
    QCOMPARE(t4->gpuModel, std::string("T4"));
  }

  void aBrokenPageOfARecordingIsNamed() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    test::writeFile(dir.filePath(QStringLiteral("page-2.json")), R"({"BillingCurrency": "USD", "Items": [)");  // cut short
    writeManifest(dir, R"([{"id": "azure-retail", "provider": "azure", "format": "azure-retail", "asOf": "2026-11-23T00:00:00Z",
       "files": [")" + dataFile("azure/derived_pages_NC4as_T4_v3_eastus_1.json") + R"(", "page-2.json"]}])");
    auto result = buildSnapshotFromDirectory(dir.path().toStdString());
    QVERIFY(!result);
    const std::string& message = result.error().message;
    QVERIFY2(message.starts_with("BuildSnapshot: source 'azure-retail': page 2 (page-2.json): "), message.c_str());
  }

  void aSourceGivesEitherOneFileOrItsPages() {
    for (const std::string& files : {std::string(R"("file": "a.json", "files": ["a.json"])"), std::string(R"("asOf2": 1)"),
                                    std::string(R"("files": [])")}) {
      QTemporaryDir dir;
      QVERIFY(dir.isValid());
      writeManifest(dir, R"([{"id": "x", "provider": "azure", "format": "azure-retail", "asOf": "2026-11-23T00:00:00Z", )" + files + "}]");
      auto result = buildSnapshotFromDirectory(dir.path().toStdString());
      QVERIFY(!result);
      QCOMPARE(result.error().code, ErrorCode::InvalidArgument);
      QVERIFY2(result.error().message.find("source 'x': ") != std::string::npos &&
                   result.error().message.find("files") != std::string::npos,
               result.error().message.c_str());
    }
  }

  void missingRawDirectoryIsNotFound() {
    auto result = buildSnapshotFromDirectory("/nonexistent/spotwise");
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::NotFound);
    QVERIFY(result.error().message.find("manifest.json") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(SnapshotTest)
#include "SnapshotTest.moc"
