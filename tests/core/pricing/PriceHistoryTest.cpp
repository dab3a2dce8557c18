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
    auto points = history->history(CloudProvider::Aws, "us-east-1", "", "g4dn.xlarge", PriceKind::Spot);
    QVERIFY(points);
    QCOMPARE(points->size(), std::size_t{2});
    QCOMPARE((*points)[0].usdPerHour, 0.1578);
    QCOMPARE((*points)[0].fetchedUnix, std::int64_t{1000});
    QCOMPARE((*points)[1].usdPerHour, 0.1611);
    auto health = history->health();
    QVERIFY(health);
    QCOMPARE(health->size(), std::size_t{1});
    QVERIFY(health->at(0).lastAttemptOk);
    QCOMPARE(health->at(0).lastSuccessUnix.value(), std::int64_t{3000});
  }
};

QTEST_APPLESS_MAIN(PriceHistoryTest)
#include "PriceHistoryTest.moc"
