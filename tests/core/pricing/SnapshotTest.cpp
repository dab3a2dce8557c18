#include <algorithm>

#include "TestSupport.h"
#include "core/common/Time.h"
#include "core/pricing/Snapshot.h"

using namespace spotwise;
using namespace spotwise::pricing;

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

  void missingRawDirectoryIsNotFound() {
    auto result = buildSnapshotFromDirectory("/nonexistent/spotwise");
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::NotFound);
    QVERIFY(result.error().message.find("manifest.json") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(SnapshotTest)
#include "SnapshotTest.moc"
