// The price history on a real SQLite file: schema version, migrations, WAL, last good data, history.
#include <sqlite3.h>

#include <QTemporaryDir>

#include <fstream>

#include "TestSupport.h"
#include "core/pricing/PriceHistory.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace spotwise::pricing::sources;

namespace {
PriceRecord record(const char* type, PriceKind kind, double usd, std::int64_t asOf) {
  PriceRecord r;
  r.provider = CloudProvider::Aws;
  r.region = "us-east-1";
  r.instanceType = type;
  r.kind = kind;
  r.usdPerHour = usd;
  r.asOfUnix = asOf;
  r.sourceId = "aws-spot-feed";
  r.gpuModel = "T4";
  r.gpuCount = 1;
  return r;
}

/** A record as a source stores it: AWS and Azure name no GPU model (0 count when the source gives none). */
PriceRecord stored(CloudProvider provider, const char* source, const char* region, const char* zone, const char* type, PriceKind kind,
                   double usd, std::int64_t asOf, const char* gpuModel, int gpuCount) {
  PriceRecord r;
  r.provider = provider;
  r.region = region;
  r.zone = zone;
  r.instanceType = type;
  r.kind = kind;
  r.usdPerHour = usd;
  r.asOfUnix = asOf;
  r.sourceId = source;
  r.gpuModel = gpuModel;
  r.gpuCount = gpuCount;
  return r;
}

/** An offer as the catalog builds it (GPU model and count always known). */
Offer offer(CloudProvider provider, const char* region, const char* zone, const char* type, const char* gpuModel, int gpuCount) {
  Offer o;
  o.provider = provider;
  o.region = region;
  o.zone = zone;
  o.instanceType = type;
  o.gpuModel = gpuModel;
  o.gpuCount = gpuCount;
  return o;
}

std::vector<double> prices(const OfferHistory& h) {
  std::vector<double> out;
  for (const auto& p : h.points) out.push_back(p.usdPerHour);
  return out;
}

std::string scalar(const std::string& file, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void execSql(const std::string& file, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  sqlite3_close(db);
}
}  // namespace

class PriceHistoryTest : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  std::string path(const char* name) { return m_dir.filePath(QString::fromUtf8(name)).toStdString(); }

 private Q_SLOTS:
  void newFileIsAtTheCurrentSchemaInWalMode() {
    const auto file = path("new.sqlite");
    {
      auto history = PriceHistory::open(file);
      QVERIFY2(history, history ? "" : history.error().toString().c_str());
      QCOMPARE(history->schemaVersion(), PriceHistory::kSchemaVersion);
    }
    QCOMPARE(scalar(file, "SELECT value FROM prices_meta WHERE key='schema_version'"), std::to_string(PriceHistory::kSchemaVersion));
    QCOMPARE(scalar(file, "PRAGMA journal_mode"), std::string("wal"));
    // Reopening does not migrate again.
    auto again = PriceHistory::open(file);
    QVERIFY(again);
    QCOMPARE(again->schemaVersion(), PriceHistory::kSchemaVersion);
  }

  void version1FileIsMigratedKeepingItsData() {
    const auto file = path("v1.sqlite");
    // A file as schema 1 wrote it (the first migration step, verbatim), with one refresh in it.
    execSql(file,
            "CREATE TABLE prices_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO prices_meta VALUES('schema_version','1');"
            "CREATE TABLE prices_refresh(id INTEGER PRIMARY KEY, source TEXT NOT NULL, at INTEGER NOT NULL, ok INTEGER NOT NULL,"
            " error TEXT NOT NULL DEFAULT '', items INTEGER NOT NULL DEFAULT 0, notes TEXT NOT NULL DEFAULT '');"
            "CREATE INDEX prices_refresh_source ON prices_refresh(source, ok, at);"
            "CREATE TABLE prices_point(refresh_id INTEGER NOT NULL REFERENCES prices_refresh(id) ON DELETE CASCADE,"
            " provider TEXT NOT NULL, region TEXT NOT NULL, zone TEXT NOT NULL, instance_type TEXT NOT NULL,"
            " kind TEXT NOT NULL, usd_per_hour REAL NOT NULL CHECK (usd_per_hour > 0), as_of INTEGER NOT NULL,"
            " gpu_model TEXT NOT NULL, gpu_count INTEGER NOT NULL, gpu_memory_gib REAL NOT NULL, vcpus REAL NOT NULL, ram_gib REAL NOT NULL);"
            "CREATE INDEX prices_point_refresh ON prices_point(refresh_id);"
            "INSERT INTO prices_refresh(id, source, at, ok, items) VALUES(1, 'aws-spot-feed', 100, 1, 1);"
            "INSERT INTO prices_point VALUES(1,'aws','us-east-1','','g4dn.xlarge','spot',0.1578,90,'T4',1,16,4,16);");
    auto history = PriceHistory::open(file);
    QVERIFY2(history, history ? "" : history.error().toString().c_str());
    QCOMPARE(history->schemaVersion(), 2);
    QCOMPARE(scalar(file, "SELECT count(*) FROM sqlite_master WHERE name='prices_interruption'"), std::string("1"));
    auto good = history->lastGood("aws-spot-feed");
    QVERIFY(good && *good);
    QCOMPARE((*good)->parsed.records.at(0).usdPerHour, 0.1578);
  }

  void fileFromANewerSpotwiseIsRefused() {
    const auto file = path("future.sqlite");
    execSql(file, "CREATE TABLE prices_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO prices_meta VALUES('schema_version','99');");
    auto history = PriceHistory::open(file);
    QVERIFY(!history);
    QCOMPARE(history.error().code, ErrorCode::FailedPrecondition);
    QVERIFY2(history.error().message.find("newer Spotwise (schema 99") != std::string::npos, history.error().message.c_str());
  }

  void corruptFileIsAnError() {
    const auto file = path("corrupt.sqlite");
    std::ofstream(file, std::ios::binary) << std::string(8192, 'z');
    auto history = PriceHistory::open(file);
    QVERIFY(!history);
    QVERIFY2(history.error().message.starts_with("PriceHistory: "), history.error().message.c_str());
  }

  void failureNeverReplacesLastGoodAndHistoryAccumulates() {
    auto history = PriceHistory::open(path("history.sqlite"));
    QVERIFY(history);
    QVERIFY(!history->lastGood("aws-spot-feed").value().has_value());
    ParsedPrices first;
    first.records = {record("g4dn.xlarge", PriceKind::Spot, 0.1578, 1000), record("g4dn.xlarge", PriceKind::OnDemand, 0.526, 1000)};
    first.interruptions = {{CloudProvider::Aws, "us-east-1", "g4dn.xlarge", InterruptionBand{3, "15-20%", 15, 20, "x"}, 64}};
    first.notes = {"248 Linux spot prices were N/A", "second note"};
    first.itemsRead = 1945;
    QVERIFY(history->recordSuccess("aws-spot-feed", 1000, first));
    QVERIFY(history->recordFailure("aws-spot-feed", 2000, makeError(ErrorCode::Unavailable, "AwsSpotFeed: HTTP 503")));
    auto good = history->lastGood("aws-spot-feed");
    QVERIFY(good && *good);
    QCOMPARE((*good)->fetchedUnix, std::int64_t{1000});
    QCOMPARE((*good)->parsed.records.size(), std::size_t{2});
    QCOMPARE((*good)->parsed.itemsRead, std::size_t{1945});
    QCOMPARE((*good)->parsed.notes, first.notes);
    QCOMPARE((*good)->parsed.interruptions.at(0).band.label, std::string("15-20%"));
    QCOMPARE((*good)->parsed.interruptions.at(0).savingsPercent.value(), 64);

    ParsedPrices second;
    second.records = {record("g4dn.xlarge", PriceKind::Spot, 0.1611, 3000)};
    QVERIFY(history->recordSuccess("aws-spot-feed", 3000, second));
    QCOMPARE(history->lastGood("aws-spot-feed").value()->parsed.records.size(), std::size_t{1});
    auto history1 = history->history(offer(CloudProvider::Aws, "us-east-1", "", "g4dn.xlarge", "T4", 1), PriceKind::Spot);
    QVERIFY(history1);
    QVERIFY(!history1->regionLevel);
    const auto& points = history1->points;
    QCOMPARE(points.size(), std::size_t{2});
    QCOMPARE(points[0].usdPerHour, 0.1578);
    QCOMPARE(points[0].fetchedUnix, std::int64_t{1000});
    QCOMPARE(points[1].usdPerHour, 0.1611);
    auto health = history->health();
    QVERIFY(health);
    QCOMPARE(health->size(), std::size_t{1});
    QVERIFY(health->at(0).lastAttemptOk);
    QCOMPARE(health->at(0).lastSuccessUnix.value(), std::int64_t{3000});
  }

  // AWS after the per-zone spot source ran: on-demand is stored for the region (zone ""), spot per zone,
  // and the regional spot feed too. A zone offer's chart must still have its on-demand line.
  void awsZoneOfferGetsItsZoneSpotAndItsRegionOnDemand() {
    auto history = PriceHistory::open(path("aws-zones.sqlite"));
    QVERIFY(history);
    const auto aws = CloudProvider::Aws;
    for (const std::int64_t at : {1000, 2000}) {
      const bool first = at == 1000;
      ParsedPrices offerFile;  // AwsOffer: GPU count from the offer file, no model
      offerFile.records = {stored(aws, "aws-offer", "us-east-1", "", "g4dn.xlarge", PriceKind::OnDemand, first ? 0.526 : 0.536, at, "", 1)};
      QVERIFY(history->recordSuccess("aws-offer", at, offerFile));
      ParsedPrices zones;  // DescribeSpotPriceHistory: per zone, no GPU facts
      zones.records = {stored(aws, "aws-spot-history", "us-east-1", "us-east-1a", "g4dn.xlarge", PriceKind::Spot, first ? 0.20 : 0.21, at, "", 0),
                       stored(aws, "aws-spot-history", "us-east-1", "us-east-1b", "g4dn.xlarge", PriceKind::Spot, first ? 0.30 : 0.31, at, "", 0)};
      QVERIFY(history->recordSuccess("aws-spot-history", at, zones));
      ParsedPrices feed;
      feed.records = {stored(aws, "aws-spot-feed", "us-east-1", "", "g4dn.xlarge", PriceKind::Spot, first ? 0.25 : 0.26, at, "", 0)};
      QVERIFY(history->recordSuccess("aws-spot-feed", at, feed));
    }
    const Offer zoneA = offer(aws, "us-east-1", "us-east-1a", "g4dn.xlarge", "T4", 1);
    auto onDemand = history->history(zoneA, PriceKind::OnDemand);
    QVERIFY2(onDemand, onDemand ? "" : onDemand.error().toString().c_str());
    QCOMPARE(prices(*onDemand), (std::vector<double>{0.526, 0.536}));
    QVERIFY(onDemand->regionLevel);
    QCOMPARE(onDemand->points.at(1).fetchedUnix, std::int64_t{2000});
    QCOMPARE(onDemand->points.at(1).sourceId, std::string("aws-offer"));
    // Spot: the zone's own series only (not us-east-1b's, not the regional feed's).
    auto spot = history->history(zoneA, PriceKind::Spot);
    QVERIFY(spot);
    QCOMPARE(prices(*spot), (std::vector<double>{0.20, 0.21}));
    QVERIFY(!spot->regionLevel);
    // A zone with no spot series of its own: the region's.
    auto zoneC = history->history(offer(aws, "us-east-1", "us-east-1c", "g4dn.xlarge", "T4", 1), PriceKind::Spot);
    QVERIFY(zoneC);
    QCOMPARE(prices(*zoneC), (std::vector<double>{0.25, 0.26}));
    QVERIFY(zoneC->regionLevel);
    // The region-level offer: region-level series only.
    auto region = history->history(offer(aws, "us-east-1", "", "g4dn.xlarge", "T4", 1), PriceKind::Spot);
    QVERIFY(region);
    QCOMPARE(prices(*region), (std::vector<double>{0.25, 0.26}));
    QVERIFY(!region->regionLevel);
    // Another region or instance type: nothing.
    QVERIFY(history->history(offer(aws, "us-west-2", "us-west-2a", "g4dn.xlarge", "T4", 1), PriceKind::OnDemand)->points.empty());
    QVERIFY(!history->history(offer(aws, "us-west-2", "us-west-2a", "g4dn.xlarge", "T4", 1), PriceKind::OnDemand)->regionLevel);
  }

  // GCP N1: one instance type, several GPU choices; each is its own offer and its own series.
  void gcpN1ConfigurationsSharingAnInstanceTypeAreSeparateSeries() {
    auto history = PriceHistory::open(path("gcp-n1.sqlite"));
    QVERIFY(history);
    const auto gcp = CloudProvider::Gcp;
    for (const std::int64_t at : {1000, 2000}) {
      const bool first = at == 1000;
      ParsedPrices billing;
      billing.records = {
          stored(gcp, "gcp-billing", "us-central1", "", "n1-standard-8", PriceKind::OnDemand, first ? 0.729 : 0.730, at, "T4", 1),
          stored(gcp, "gcp-billing", "us-central1", "", "n1-standard-8", PriceKind::OnDemand, first ? 2.860 : 2.861, at, "V100", 1),
          stored(gcp, "gcp-billing", "us-central1", "", "n1-standard-8", PriceKind::Spot, first ? 0.188 : 0.189, at, "T4", 1),
          stored(gcp, "gcp-billing", "us-central1", "", "n1-standard-8", PriceKind::Spot, first ? 0.900 : 0.901, at, "V100", 1),
          stored(gcp, "gcp-billing", "us-central1", "", "n1-standard-8", PriceKind::OnDemand, first ? 1.080 : 1.081, at, "T4", 2)};
      QVERIFY(history->recordSuccess("gcp-billing", at, billing));
    }
    const auto t4 = offer(gcp, "us-central1", "", "n1-standard-8", "T4", 1);
    const auto v100 = offer(gcp, "us-central1", "", "n1-standard-8", "V100", 1);
    QCOMPARE(prices(history->history(t4, PriceKind::OnDemand).value()), (std::vector<double>{0.729, 0.730}));
    QCOMPARE(prices(history->history(t4, PriceKind::Spot).value()), (std::vector<double>{0.188, 0.189}));
    QCOMPARE(prices(history->history(v100, PriceKind::OnDemand).value()), (std::vector<double>{2.860, 2.861}));
    QCOMPARE(prices(history->history(v100, PriceKind::Spot).value()), (std::vector<double>{0.900, 0.901}));
    QCOMPARE(prices(history->history(offer(gcp, "us-central1", "", "n1-standard-8", "T4", 2), PriceKind::OnDemand).value()),
             (std::vector<double>{1.080, 1.081}));
    QVERIFY(history->history(offer(gcp, "us-central1", "", "n1-standard-8", "A100-40GB", 1), PriceKind::OnDemand)->points.empty());
  }
};

QTEST_APPLESS_MAIN(PriceHistoryTest)
#include "PriceHistoryTest.moc"
