// The ledger on real SQLite files: WAL and schema version, migration from version 1, refusal of a
// newer file, round trips, rollback, a process killed mid-transaction, and a concurrent reader.
#include <QTemporaryDir>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "TestSupport.h"
#include "core/ledger/Ledger.h"

using namespace spotwise;
using namespace spotwise::ledger;
namespace fs = std::filesystem;

namespace {

// The version-1 schema exactly as released (a migration test must start from the real old file).
constexpr const char* kVersion1 = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES('schema_version', '1');
CREATE TABLE jobs (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, provider TEXT NOT NULL, spec_json TEXT NOT NULL, state TEXT NOT NULL,
  state_message TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL DEFAULT 0, current_attempt INTEGER NOT NULL DEFAULT 0, pending_end TEXT NOT NULL DEFAULT '',
  pending_end_message TEXT NOT NULL DEFAULT '', step INTEGER NOT NULL DEFAULT -1, total_steps INTEGER NOT NULL DEFAULT -1,
  loss REAL, last_heartbeat_ms INTEGER NOT NULL DEFAULT 0, next_action_ms INTEGER NOT NULL DEFAULT 0,
  capacity_failures INTEGER NOT NULL DEFAULT 0);
CREATE TABLE attempts (
  job_id TEXT NOT NULL REFERENCES jobs(id), number INTEGER NOT NULL, provider TEXT NOT NULL, region TEXT NOT NULL,
  zone TEXT NOT NULL DEFAULT '', instance_type TEXT NOT NULL, spot INTEGER NOT NULL, price_per_hour REAL NOT NULL,
  instance_id TEXT NOT NULL DEFAULT '', requested_ms INTEGER NOT NULL DEFAULT 0, start_ms INTEGER NOT NULL DEFAULT 0,
  end_ms INTEGER NOT NULL DEFAULT 0, end_cause TEXT NOT NULL DEFAULT '', last_step INTEGER NOT NULL DEFAULT -1,
  work_lost_steps INTEGER NOT NULL DEFAULT -1, PRIMARY KEY (job_id, number));
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL REFERENCES jobs(id), attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL, kind TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '');
CREATE INDEX events_by_job ON events(job_id, id);
CREATE TABLE intents (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL REFERENCES jobs(id), attempt INTEGER NOT NULL,
  client_token TEXT NOT NULL, operation TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL DEFAULT 'pending', detail TEXT NOT NULL DEFAULT '', resolved_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX intents_pending ON intents(outcome) WHERE outcome = 'pending';
INSERT INTO jobs(id, name, provider, spec_json, state, created_ms, updated_ms, current_attempt)
  VALUES('job-old', 'old', 'aws', '{}', 'Running', 1, 2, 1);
INSERT INTO attempts(job_id, number, provider, region, instance_type, spot, price_per_hour, instance_id, start_ms)
  VALUES('job-old', 1, 'aws', 'us-east-1', 'g4dn.xlarge', 1, 0.16, 'i-1', 5);
)sql";

JobRecord makeJob(const std::string& id, int attempts = 0) {
  JobRecord j;
  j.id = id;
  j.name = "n-" + id;
  j.provider = "local";
  j.specJson = "{}";
  j.state = "Running";
  j.createdMs = j.updatedMs = 1000;
  j.currentAttempt = attempts;
  return j;
}

AttemptRecord makeAttempt(const std::string& job, int n) {
  AttemptRecord a;
  a.jobId = job;
  a.number = n;
  a.provider = "local";
  a.region = "local";
  a.instanceType = "sim";
  a.pricePerHour = 0.5;
  a.instanceId = job + "-i" + std::to_string(n);
  a.startMs = 10;
  return a;
}

std::unique_ptr<Ledger> openOrDie(const fs::path& file) {
  auto l = Ledger::open(file);
  if (!l) qFatal("%s", l.error().message.c_str());
  return std::move(*l);
}

}  // namespace

class LedgerTest : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  int m_n = 0;
  fs::path fresh() { return fs::path(m_dir.path().toStdString()) / ("l" + std::to_string(++m_n) + ".sqlite"); }

 private Q_SLOTS:
  void newFileIsWalAtTheCurrentVersion() {
    auto l = openOrDie(fresh());
    QCOMPARE(l->schemaVersion(), Ledger::kSchemaVersion);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(l->handle(), "PRAGMA journal_mode", -1, &s, nullptr);
    QCOMPARE(sqlite3_step(s), SQLITE_ROW);
    QCOMPARE(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))), std::string("wal"));
    sqlite3_finalize(s);
    QVERIFY(l->checkConsistency().value().empty());
  }

  void migratesAVersion1FileKeepingItsRows() {
    const auto file = fresh();
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db, kVersion1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    auto l = openOrDie(file);
    QCOMPARE(l->schemaVersion(), Ledger::kSchemaVersion);
    const auto job = l->job("job-old").value();
    QVERIFY(job.has_value());
    QCOMPARE(job->state, std::string("Running"));
    const auto a = l->attempts("job-old").value();
    QCOMPARE(a.size(), std::size_t(1));
    QCOMPARE(a[0].instanceId, std::string("i-1"));
    QCOMPARE(a[0].checkpointStep, std::int64_t(-1));  // new column, default
    QCOMPARE(a[0].workLostSeconds, -1.0);
    QVERIFY(a[0].priceChanges.empty());  // version 3 columns, defaults
    QCOMPARE(a[0].timeLapse, 1.0);
    QVERIFY(l->addSpendSample({"job-old", 7, 1.5, 0.16}).ok());  // new table
    QCOMPARE(l->spendSamples("job-old").value().size(), std::size_t(1));
    // Opening again does not migrate twice.
    l.reset();
    QCOMPARE(openOrDie(file)->schemaVersion(), Ledger::kSchemaVersion);
  }

  void refusesAFileFromANewerVersion() {
    const auto file = fresh();
    {
      auto l = openOrDie(file);
      QCOMPARE(sqlite3_exec(l->handle(), "UPDATE meta SET value='99' WHERE key='schema_version'", nullptr, nullptr, nullptr),
               SQLITE_OK);
    }
    auto again = Ledger::open(file);
    QVERIFY(!again.ok());
    QCOMPARE(again.error().code, ErrorCode::FailedPrecondition);
    QVERIFY(again.error().message.find("schema version 99") != std::string::npos);
  }

  void notALedgerIsDataLoss() {
    const auto file = fresh();
    std::ofstream(file) << std::string(4096, 'x');
    auto l = Ledger::open(file);
    QVERIFY(!l.ok());
    QCOMPARE(l.error().code, ErrorCode::DataLoss);
  }

  void roundTripsEveryTable() {
    auto l = openOrDie(fresh());
    JobRecord j = makeJob("job-a", 1);
    j.loss = 0.25;
    j.pendingEnd = "StopConfirmed";
    QVERIFY(l->insertJob(j).ok());
    AttemptRecord a = makeAttempt("job-a", 1);
    a.checkpointStep = 40;
    a.workLostSeconds = 12.5;
    a.priceChanges = {{50, 0.4321}, {70, 1.0 / 3.0}};
    a.timeLapse = 120;
    QVERIFY(l->upsertAttempt(a).ok());
    a.endMs = 99;
    a.endCause = "preempted";
    QVERIFY(l->upsertAttempt(a).ok());  // upsert updates
    QVERIFY(l->addEvent({0, "job-a", 1, 5, "Submit", "Draft", "Packaging", "go"}).ok());
    const auto id = l->beginIntent({0, "job-a", 1, "spotwise-job-a-1", "launch", "local", 6, "pending", "", 0}).value();
    QCOMPARE(l->pendingIntents().value().size(), std::size_t(1));
    QVERIFY(l->resolveIntent(id, "ok", "i-9", 7).ok());
    QVERIFY(l->pendingIntents().value().empty());
    QVERIFY(!l->resolveIntent(id + 100, "ok", "", 7).ok());

    const auto back = l->job("job-a").value().value();
    QCOMPARE(back.loss.value(), 0.25);
    QCOMPARE(back.pendingEnd, std::string("StopConfirmed"));
    const auto attempts = l->attempts("job-a").value();
    QCOMPARE(attempts.size(), std::size_t(1));
    QCOMPARE(attempts[0].endCause, std::string("preempted"));
    QCOMPARE(attempts[0].checkpointStep, std::int64_t(40));
    QCOMPARE(attempts[0].workLostSeconds, 12.5);
    QCOMPARE(attempts[0].priceChanges, (std::vector<ledger::PriceChange>{{50, 0.4321}, {70, 1.0 / 3.0}}));  // exact
    QCOMPARE(attempts[0].timeLapse, 120.0);
    QCOMPARE(l->events("job-a").value()[0].message, std::string("go"));
    QCOMPARE(l->intents("job-a").value()[0].detail, std::string("i-9"));
    QVERIFY(!l->job("job-none").value().has_value());

    // Compare-and-set on the state.
    JobRecord next = back;
    next.state = "Stopped";
    QVERIFY(!l->updateJobIfState(next, "Booting").value());
    QVERIFY(l->updateJobIfState(next, "Running").value());
    QCOMPARE(l->jobs(true).value().size(), std::size_t(0));
    QCOMPARE(l->jobs(false).value().size(), std::size_t(1));
  }

  void resolvesIdPrefixes() {
    auto l = openOrDie(fresh());
    QVERIFY(l->insertJob(makeJob("job-abc123")).ok());
    QVERIFY(l->insertJob(makeJob("job-abd456")).ok());
    QCOMPARE(l->resolveJobId("job-abc").value(), std::string("job-abc123"));
    QCOMPARE(l->resolveJobId("job-ab").error().code, ErrorCode::InvalidArgument);
    QCOMPARE(l->resolveJobId("job-x").error().code, ErrorCode::NotFound);
  }

  void failedTransactionRollsBack() {
    auto l = openOrDie(fresh());
    auto r = l->transaction([&]() -> Result<void> {
      if (auto i = l->insertJob(makeJob("job-r")); !i) return i;
      return makeError(ErrorCode::Internal, "boom");
    });
    QVERIFY(!r.ok());
    QVERIFY(!l->job("job-r").value().has_value());
    // Constraint violation inside: rolled back too.
    QVERIFY(l->insertJob(makeJob("job-s")).ok());
    r = l->transaction([&]() -> Result<void> {
      if (auto i = l->upsertAttempt(makeAttempt("job-s", 1)); !i) return i;
      return l->insertJob(makeJob("job-s"));  // duplicate key
    });
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::FailedPrecondition);
    QVERIFY(l->attempts("job-s").value().empty());
  }

  void processKilledMidTransactionLeavesTheLastCommit() {
    const auto file = fresh();
    openOrDie(file);
    for (int round = 0; round < 12; ++round) {
      const pid_t pid = fork();
      QVERIFY(pid >= 0);
      if (pid == 0) {
        auto l = Ledger::open(file);
        if (!l) _exit(3);
        auto& ledger = **l;
        const std::string committed = "job-c" + std::to_string(round);
        (void)ledger.transaction([&]() -> Result<void> {
          (void)ledger.insertJob(makeJob(committed, 1));
          return ledger.upsertAttempt(makeAttempt(committed, 1));
        });
        const std::string torn = "job-t" + std::to_string(round);
        (void)ledger.transaction([&]() -> Result<void> {
          (void)ledger.insertJob(makeJob(torn, 2));
          (void)ledger.upsertAttempt(makeAttempt(torn, 1));
          // Killed after writing some rows of the transaction, before the rest and the commit.
          if (round % 2 == 0) raise(SIGKILL);
          (void)ledger.upsertAttempt(makeAttempt(torn, 2));
          for (int i = 0; i < 200; ++i) (void)ledger.addEvent({0, torn, 2, i, "note", "Running", "Running", "x"});
          raise(SIGKILL);
          return {};
        });
        _exit(4);
      }
      int status = 0;
      QCOMPARE(waitpid(pid, &status, 0), pid);
      QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
      auto l = openOrDie(file);
      QVERIFY(l->job("job-c" + std::to_string(round)).value().has_value());
      QVERIFY(!l->job("job-t" + std::to_string(round)).value().has_value());
      QVERIFY(l->events("job-t" + std::to_string(round)).value().empty());
      const auto problems = l->checkConsistency().value();
      QVERIFY2(problems.empty(), problems.empty() ? "" : problems[0].c_str());
    }
  }

  void processesOpeningANewFileAtOnceAllSucceed() {
    // The app and `spotwise-cli` may create the ledger at the same moment: both must migrate it once.
    for (int round = 0; round < 5; ++round) {
      const auto file = fresh();
      std::vector<pid_t> children;
      for (int i = 0; i < 4; ++i) {
        const pid_t pid = fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
          auto l = Ledger::open(file);
          _exit(l && (*l)->schemaVersion() == Ledger::kSchemaVersion ? 0 : 1);
        }
        children.push_back(pid);
      }
      for (pid_t pid : children) {
        int status = 0;
        QCOMPARE(waitpid(pid, &status, 0), pid);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 0);
      }
      QCOMPARE(openOrDie(file)->schemaVersion(), Ledger::kSchemaVersion);
    }
  }

  void concurrentReaderSeesOnlyCommittedSnapshots() {
    const auto file = fresh();
    auto writer = openOrDie(file);
    QVERIFY(writer->insertJob(makeJob("job-w", 0)).ok());
    auto reader = openOrDie(file);
    std::atomic<bool> done{false};
    std::atomic<int> failures{0};
    std::thread writing([&] {
      for (int n = 1; n <= 150; ++n) {
        auto r = writer->transaction([&]() -> Result<void> {
          AttemptRecord attempt = makeAttempt("job-w", n);
          attempt.endMs = 20;  // ended (one open attempt at most)
          if (auto a = writer->upsertAttempt(attempt); !a) return a;
          JobRecord j = writer->job("job-w").value().value();
          j.currentAttempt = n;
          return writer->updateJob(j);
        });
        if (!r) ++failures;
      }
      done = true;
    });
    int reads = 0;
    int torn = 0;
    while (!done || reads < 50) {
      auto r = reader->readSnapshot([&]() -> Result<void> {
        auto j = reader->job("job-w");
        if (!j) return j.error();
        auto a = reader->attempts("job-w");
        if (!a) return a.error();
        if ((*j)->currentAttempt != static_cast<int>(a->size())) ++torn;
        return {};
      });
      if (!r) ++failures;
      ++reads;
    }
    writing.join();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(torn, 0);
    QCOMPARE(reader->attempts("job-w").value().size(), std::size_t(150));
    QVERIFY(reader->checkConsistency().value().empty());
  }

  void consistencyCheckFindsProblems() {
    auto l = openOrDie(fresh());
    JobRecord j = makeJob("job-bad", 3);
    j.state = "Succeeded";
    QVERIFY(l->insertJob(j).ok());
    QVERIFY(l->upsertAttempt(makeAttempt("job-bad", 1)).ok());  // open attempt of an ended job
    const auto problems = l->checkConsistency().value();
    QCOMPARE(problems.size(), std::size_t(2));  // attempt count mismatch + open attempt
  }
};

QTEST_APPLESS_MAIN(LedgerTest)
#include "LedgerTest.moc"
