// Lab: the signed DescribeSpotPriceHistory source against moto (SigV4 checked, tests/lab/peers/moto_peer.py),
// on its own and inside a whole refresh; without credentials the refresh skips it and says why. Zones come
// back as zone IDs (this account's names mapped with DescribeAvailabilityZones), so live prices replace
// the snapshot's for the same physical zone.
#include "TestSupport.h"
#include "lab/LabPeer.h"

#include <QTemporaryDir>

#include <set>

#include "core/http/CurlHttpClient.h"
#include "core/pricing/LiveCatalog.h"
#include "core/pricing/PriceRefresh.h"
#include "core/pricing/sources/Fetchers.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace spotwise::pricing::sources;
using namespace std::chrono_literals;

class AwsSpotHistoryLabTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::LabPeer> m_moto;
  http::CurlHttpClient m_client;

  AwsApiAccess access(bool goodSecret = true) const {
    AwsApiAccess a;
    a.credentials.accessKeyId = m_moto->value("accessKeyId");
    a.credentials.secretAccessKey = goodSecret ? m_moto->value("secretAccessKey") : "wrong-secret-for-the-lab";
    a.endpointOverride = m_moto->value("endpoint");
    return a;
  }
  static FetchSettings settings() {
    FetchSettings s;
    s.timeout = 20s;
    s.stallTimeout = 10s;
    s.retry.maxAttempts = 1;
    s.nowUnix = 1'800'000'000;
    return s;
  }

 private Q_SLOTS:
  void initTestCase() {
    m_moto = std::make_unique<test::LabPeer>(QStringLiteral("python3"), QStringList{test::labPeerScript("moto_peer.py")});
    SPOTWISE_REQUIRE_PEER(*m_moto);
  }
  void init() { m_moto->clear(); }
  void cleanupTestCase() { m_moto.reset(); }

  void signedPerZoneNewestPrices() {
    auto fetched = fetchAwsSpotHistory(m_client, access(), {"us-east-1", "us-west-2"}, {"g4dn.xlarge", "p4d.24xlarge"}, settings());
    QVERIFY2(fetched, fetched ? "" : fetched.error().toString().c_str());
    QCOMPARE(fetched->pages, std::size_t{2});
    QVERIFY(!fetched->parsed.records.empty());
    std::set<std::pair<std::string, std::string>> keys;
    std::set<std::string> regions;
    for (const auto& r : fetched->parsed.records) {
      QVERIFY(r.instanceType == "g4dn.xlarge" || r.instanceType == "p4d.24xlarge");
      // Zone IDs (moto's items carry only names: mapped with DescribeAvailabilityZones).
      const std::string idPrefix = r.region == "us-east-1" ? "use1-az" : "usw2-az";
      QVERIFY2(r.zone.starts_with(idPrefix), (r.zone + " is not a zone ID of " + r.region).c_str());
      QCOMPARE(r.kind, PriceKind::Spot);
      QCOMPARE(r.sourceId, std::string("aws-spot-history"));
      QCOMPARE(r.asOfUnix, std::int64_t{1'800'000'000});  // the fetch time, not the item's timestamp
      QVERIFY(r.usdPerHour > 0);
      QVERIFY2(keys.insert({r.zone, r.instanceType}).second, "one record per zone and type");
      regions.insert(r.region);
    }
    QCOMPARE(regions, (std::set<std::string>{"us-east-1", "us-west-2"}));
    QVERIFY(fetched->parsed.notes.empty());
    QCOMPARE(m_moto->requests(QStringLiteral("Action=DescribeAvailabilityZones")).size(), 2);
    // One signed POST per region, each signed for its own region, asking for Linux prices from now on.
    const auto calls = m_moto->requests(QStringLiteral("Action=DescribeSpotPriceHistory"));
    QCOMPARE(calls.size(), 2);
    for (int i = 0; i < 2; ++i) {
      const auto call = calls[i].toObject();
      const QString auth = call.value(QStringLiteral("headers")).toObject().value(QStringLiteral("Authorization")).toString();
      QVERIFY2(auth.startsWith(QStringLiteral("AWS4-HMAC-SHA256 Credential=") + QString::fromStdString(access().credentials.accessKeyId)),
               qPrintable(auth));
      QVERIFY(auth.contains(i == 0 ? QStringLiteral("/us-east-1/ec2/aws4_request") : QStringLiteral("/us-west-2/ec2/aws4_request")));
      const QString body = call.value(QStringLiteral("body")).toString();
      QVERIFY2(body.contains(QStringLiteral("ProductDescription.1=Linux%2FUNIX")), qPrintable(body));
      QVERIFY2(body.contains(QStringLiteral("StartTime=2027-01-15T08%3A00%3A00Z")), qPrintable(body));
      QVERIFY(body.contains(QStringLiteral("InstanceType.1=g4dn.xlarge")));
    }
  }

  void liveZonePricesReplaceTheSnapshotsForTheSameZone() {
    // The snapshot has g4dn.xlarge spot prices for five us-east-1 zone IDs; moto's history names the same
    // five zones (us-east-1a → use1-az6, …). One row per zone after the merge, the live price in each.
    RefreshConfig config;
    const std::string dead = "http://127.0.0.1:9/";
    config.endpoints.awsRegionIndexUrl = dead + "region_index.json";
    config.endpoints.awsSpotFeedUrl = dead + "spot.js";
    config.endpoints.awsAdvisorUrl = dead + "advisor.json";
    config.endpoints.azureRetailUrl = dead + "azure";
    config.awsRegions = {"us-east-1"};
    config.awsSpotHistoryTypes = {"g4dn.xlarge"};
    QTemporaryDir dir;
    config.cacheDir = dir.filePath(QStringLiteral("cache")).toStdString();
    config.settings = settings();
    config.aws = access();
    const auto outcomes = refreshAll(m_client, config, {}, {});
    auto history = PriceHistory::open(dir.filePath(QStringLiteral("prices.sqlite")).toStdString());
    QVERIFY(history);
    QVERIFY(storeRefresh(*history, outcomes));
    auto snapshot = embeddedSnapshot();
    QVERIFY(snapshot);
    std::set<std::string> snapshotZones;
    for (const auto& o : snapshot->offers) {
      if (o.provider == CloudProvider::Aws && o.region == "us-east-1" && o.instanceType == "g4dn.xlarge") snapshotZones.insert(o.zone);
    }
    QCOMPARE(snapshotZones, (std::set<std::string>{"use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"}));
    auto live = assembleLiveCatalog(*history, *snapshot);
    QVERIFY(live);
    std::set<std::string> liveZones;
    for (const auto& o : live->offers) {
      if (o.provider != CloudProvider::Aws || o.region != "us-east-1" || o.instanceType != "g4dn.xlarge") continue;
      QVERIFY2(liveZones.insert(o.zone).second, ("two rows for zone " + o.zone).c_str());
      QVERIFY(o.spot);
      QCOMPARE(o.spot->sourceId, std::string("aws-spot-history"));
      QVERIFY(o.onDemand);  // the snapshot's on-demand price stays (the live on-demand source failed here)
      QCOMPARE(o.onDemand->usdPerHour, 0.526);
    }
    QCOMPARE(liveZones, snapshotZones);
  }

  void oneZonesPriceOverTimeForTheHistoryChart() {
    // moto keeps one placeholder item per zone (0.00001 $/h since 2006-01-02T15:04:05Z); the zone is the
    // catalog's ID, which this account's DescribeAvailabilityZones ties to its name (use1-az6 = us-east-1a).
    auto changes = fetchAwsSpotPriceChanges(m_client, access(), "us-east-1", "g4dn.xlarge", "use1-az6", 0, settings());
    QVERIFY2(changes, changes ? "" : changes.error().toString().c_str());
    QCOMPARE(changes->size(), std::size_t{1});
    QCOMPARE(changes->front().asOfUnix, std::int64_t{1'136'214'245});
    QCOMPARE(changes->front().usdPerHour, 0.00001);
    const auto calls = m_moto->requests(QStringLiteral("Action=DescribeSpotPriceHistory"));
    QCOMPARE(calls.size(), 1);
    const QString body = calls[0].toObject().value(QStringLiteral("body")).toString();
    QVERIFY2(body.contains(QStringLiteral("AvailabilityZoneId=use1-az6")) && body.contains(QStringLiteral("InstanceType.1=g4dn.xlarge")),
             qPrintable(body));
    QCOMPARE(m_moto->requests(QStringLiteral("Action=DescribeAvailabilityZones")).size(), 1);

    // A zone this account does not have: no points, not an error.
    auto none = fetchAwsSpotPriceChanges(m_client, access(), "us-east-1", "g4dn.xlarge", "use1-az9", 0, settings());
    QVERIFY(none);
    QVERIFY(none->empty());
    // Refused credentials: named, and the secret nowhere in the message.
    auto refused = fetchAwsSpotPriceChanges(m_client, access(false), "us-east-1", "g4dn.xlarge", "use1-az6", 0, settings());
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, ErrorCode::Unauthenticated);
    QVERIFY2(refused.error().message.starts_with("AwsSpotPriceHistory us-east-1: "), refused.error().message.c_str());
    QVERIFY(refused.error().toString().find("wrong-secret-for-the-lab") == std::string::npos);
  }

  void wrongSecretIsRefusedByName() {
    auto fetched = fetchAwsSpotHistory(m_client, access(false), {"us-east-1"}, {"g4dn.xlarge"}, settings());
    QVERIFY(!fetched);
    QCOMPARE(fetched.error().code, ErrorCode::Unauthenticated);
    QVERIFY2(fetched.error().message.starts_with("AwsSpotHistory us-east-1: "), fetched.error().message.c_str());
    QVERIFY(fetched.error().toString().find("wrong-secret-for-the-lab") == std::string::npos);
  }

  void refreshUsesTheSignedSourceWhenCredentialsExist() {
    // The public sources point at a closed port: they fail, the signed one (moto) must still load.
    RefreshConfig config;
    const std::string dead = "http://127.0.0.1:9/";
    config.endpoints.awsRegionIndexUrl = dead + "region_index.json";
    config.endpoints.awsSpotFeedUrl = dead + "spot.js";
    config.endpoints.awsAdvisorUrl = dead + "advisor.json";
    config.endpoints.azureRetailUrl = dead + "azure";
    config.awsRegions = {"us-east-1"};
    config.awsSpotHistoryTypes = {"g5.xlarge", "p3.2xlarge"};
    QTemporaryDir dir;
    config.cacheDir = dir.filePath(QStringLiteral("cache")).toStdString();
    config.settings = settings();
    config.aws = access();
    const auto outcomes = refreshAll(m_client, config, {}, {});
    const auto& ids = liveSourceIds();
    const auto at = [&](std::string_view id) { return outcomes[static_cast<std::size_t>(std::ranges::find(ids, id) - ids.begin())]; };
    QCOMPARE(at("aws-spot-history").state, SourceOutcome::State::Fresh);
    QVERIFY(!at("aws-spot-history").result.parsed.records.empty());
    QCOMPARE(at("aws-spot-feed").state, SourceOutcome::State::Failed);
    QCOMPARE(at("gcp-billing").state, SourceOutcome::State::Skipped);

    // Stored and merged: per-zone AWS spot offers from the signed source.
    auto history = PriceHistory::open(dir.filePath(QStringLiteral("prices.sqlite")).toStdString());
    QVERIFY(history);
    QVERIFY(storeRefresh(*history, outcomes));
    auto snapshot = embeddedSnapshot();
    QVERIFY(snapshot);
    auto live = assembleLiveCatalog(*history, *snapshot);
    QVERIFY(live);
    int zoneOffers = 0;
    for (const auto& o : live->offers) {
      if (o.spot && o.spot->sourceId == "aws-spot-history") {
        QVERIFY(!o.zone.empty());
        QCOMPARE(o.spot->asOfUnix, std::int64_t{1'800'000'000});
        ++zoneOffers;
      }
    }
    QVERIFY(zoneOffers > 0);

    // Without credentials the same refresh skips the signed source and says why.
    config.aws.reset();
    const auto without = refreshAll(m_client, config, {}, {});
    const auto& skipped = without[static_cast<std::size_t>(std::ranges::find(ids, "aws-spot-history") - ids.begin())];
    QCOMPARE(skipped.state, SourceOutcome::State::Skipped);
    QVERIFY2(skipped.error.message.find("no AWS credentials") != std::string::npos, skipped.error.message.c_str());
    QVERIFY(skipped.error.message.find("public spot feed") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(AwsSpotHistoryLabTest)
#include "AwsSpotHistoryLabTest.moc"
