#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/ledger/Ledger.h"

#include "core/common/Log.h"

#include <sqlite3.h>

#include <cerrno>
#include <set>
#include <utility>

namespace spotwise::ledger {

namespace {

/** Whether `path` exists and this process may not write it (a missing path is not read-only). */
bool notWritable(const std::string& path) { return ::access(path.c_str(), F_OK) == 0 && ::access(path.c_str(), W_OK) != 0; }

bool isOutOfSpace(int error) { return error == ENOSPC || error == EFBIG || error == EDQUOT; }
bool isNotPermitted(int error) { return error == EACCES || error == EPERM || error == EROFS; }

/**
 * The errno behind an I/O error of the ledger's files: the database file's or its WAL's last
 * error, an out-of-space or permission error first (either file may also hold an older, harmless
 * one such as a busy lock's EAGAIN). sqlite3_system_errno() reads the global errno after SQLite's
 * own clean-up calls may have changed it, so it is only the last resort.
 */
int lastFileErrno(sqlite3* db) {
  int mainError = 0;
  int walError = 0;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &mainError) != SQLITE_OK) mainError = 0;
  sqlite3_file* journal = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, static_cast<void*>(&journal)) != SQLITE_OK ||
      journal == nullptr || journal->pMethods == nullptr ||
      journal->pMethods->xFileControl(journal, SQLITE_FCNTL_LAST_ERRNO, &walError) != SQLITE_OK) {
    walError = 0;
  }
  for (const int error : {walError, mainError}) {
    if (isOutOfSpace(error)) return error;
  }
  for (const int error : {walError, mainError}) {
    if (isNotPermitted(error)) return error;
  }
  return sqlite3_system_errno(db);
}

/**
 * What a user can act on for a fault of the ledger's storage, as " (...)", or "" for other errors:
 * a full disk, or a read-only ledger file or folder (named). Nothing of the failed write is kept.
 */
std::string storageHint(sqlite3* db, int primary) {
  const char* name = sqlite3_db_filename(db, "main");
  const std::string file = name && *name ? std::string(name) : std::string();
  const int systemErrno = primary == SQLITE_IOERR ? lastFileErrno(db) : 0;
  if (primary == SQLITE_FULL || (primary == SQLITE_IOERR && isOutOfSpace(systemErrno))) {
    return " (the disk holding " + (file.empty() ? std::string("the ledger") : file) +
           " is full: nothing of this change was written; free some space and try again)";
  }
  if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM ||
      (primary == SQLITE_IOERR && isNotPermitted(systemErrno))) {
    if (file.empty()) return {};
    const std::string folder = std::filesystem::path(file).parent_path().string();
    if (notWritable(file)) return " (" + file + " is read-only: nothing was written; make it writable)";
    if (notWritable(folder)) {
      return " (the folder of " + file + " is read-only: SQLite needs to create its journal files there; nothing was written)";
    }
  }
  return {};
}

ErrorCode errorCodeFor(sqlite3* db, int primary) {
  const int systemErrno = primary == SQLITE_IOERR ? lastFileErrno(db) : 0;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return ErrorCode::Unavailable;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return ErrorCode::DataLoss;
  if (primary == SQLITE_READONLY || primary == SQLITE_PERM || primary == SQLITE_CANTOPEN) return ErrorCode::PermissionDenied;
  if (primary == SQLITE_CONSTRAINT) return ErrorCode::FailedPrecondition;
  if (primary == SQLITE_FULL) return ErrorCode::ResourceExhausted;
  if (primary == SQLITE_IOERR && isOutOfSpace(systemErrno)) return ErrorCode::ResourceExhausted;
  if (primary == SQLITE_IOERR && isNotPermitted(systemErrno)) return ErrorCode::PermissionDenied;
  return ErrorCode::Internal;
}

Error dbError(sqlite3* db, std::string_view operation, std::string_view sqliteMessage = {}) {
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  const std::string text = sqliteMessage.empty() ? std::string(sqlite3_errmsg(db)) : std::string(sqliteMessage);
  return makeError(errorCodeFor(db, primary), "Ledger." + std::string(operation) + ": " + text + storageHint(db, primary));
}

/** One prepared statement, finalized on scope exit. */
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql, std::string_view operation) : m_db(db), m_operation(operation) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_stmt, nullptr) != SQLITE_OK) {
      m_error = dbError(db, operation);
    }
  }
  ~Statement() { sqlite3_finalize(m_stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  [[nodiscard]] const std::optional<Error>& prepareError() const { return m_error; }

  Statement& bind(int i, std::string_view v) {
    sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(m_stmt, i, v);
    return *this;
  }
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(m_stmt, i, v);
    return *this;
  }
  Statement& bind(int i, const std::optional<double>& v) {
    if (v) sqlite3_bind_double(m_stmt, i, *v);
    else sqlite3_bind_null(m_stmt, i);
    return *this;
  }

  /** SQLITE_ROW → true, SQLITE_DONE → false, else error. */
  Result<bool> step() {
    if (m_error) return *m_error;
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return dbError(m_db, m_operation);
  }
  Result<void> run() {
    auto r = step();
    if (!r) return r.error();
    return {};
  }

  std::string text(int col) const {
    const auto* p = sqlite3_column_text(m_stmt, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col)))
             : std::string();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(m_stmt, col); }
  double real(int col) const { return sqlite3_column_double(m_stmt, col); }
  bool isNull(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
  std::string m_operation;
  std::optional<Error> m_error;
};

// Schema history. Never edit a released step: add the next one.
// Version 1: jobs, attempts, events, intents.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  provider TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  state TEXT NOT NULL,
  state_message TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL DEFAULT 0,
  current_attempt INTEGER NOT NULL DEFAULT 0,
  pending_end TEXT NOT NULL DEFAULT '',
  pending_end_message TEXT NOT NULL DEFAULT '',
  step INTEGER NOT NULL DEFAULT -1,
  total_steps INTEGER NOT NULL DEFAULT -1,
  loss REAL,
  last_heartbeat_ms INTEGER NOT NULL DEFAULT 0,
  next_action_ms INTEGER NOT NULL DEFAULT 0,
  capacity_failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE attempts (
  job_id TEXT NOT NULL REFERENCES jobs(id),
  number INTEGER NOT NULL,
  provider TEXT NOT NULL,
  region TEXT NOT NULL,
  zone TEXT NOT NULL DEFAULT '',
  instance_type TEXT NOT NULL,
  spot INTEGER NOT NULL,
  price_per_hour REAL NOT NULL,
  instance_id TEXT NOT NULL DEFAULT '',
  requested_ms INTEGER NOT NULL DEFAULT 0,
  start_ms INTEGER NOT NULL DEFAULT 0,
  end_ms INTEGER NOT NULL DEFAULT 0,
  end_cause TEXT NOT NULL DEFAULT '',
  last_step INTEGER NOT NULL DEFAULT -1,
  work_lost_steps INTEGER NOT NULL DEFAULT -1,
  PRIMARY KEY (job_id, number)
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES jobs(id),
  attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_job ON events(job_id, id);
CREATE TABLE intents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES jobs(id),
  attempt INTEGER NOT NULL,
  client_token TEXT NOT NULL,
  operation TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL DEFAULT 'pending',
  detail TEXT NOT NULL DEFAULT '',
  resolved_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX intents_pending ON intents(outcome) WHERE outcome = 'pending';
)sql";

// Version 2: spend samples for the live chart; work lost measured against checkpoints.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE spend_samples (
  job_id TEXT NOT NULL REFERENCES jobs(id),
  at_ms INTEGER NOT NULL,
  spend_usd REAL NOT NULL,
  burn_usd_per_hour REAL NOT NULL
);
CREATE INDEX spend_by_job ON spend_samples(job_id, at_ms);
ALTER TABLE attempts ADD COLUMN checkpoint_step INTEGER NOT NULL DEFAULT -1;
ALTER TABLE attempts ADD COLUMN resumed_from_step INTEGER NOT NULL DEFAULT -1;
ALTER TABLE attempts ADD COLUMN work_lost_seconds REAL NOT NULL DEFAULT -1;
ALTER TABLE attempts ADD COLUMN gone_ms INTEGER NOT NULL DEFAULT 0;
UPDATE attempts SET gone_ms = end_ms WHERE end_ms > 0;
)sql";

// Version 3: spot price changes during an attempt ("ms:price,ms:price"), time-lapse rehearsal billing.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE attempts ADD COLUMN price_changes TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN time_lapse REAL NOT NULL DEFAULT 1;
)sql";

constexpr std::string_view kJobColumns =
    "id, name, provider, spec_json, state, state_message, created_ms, updated_ms, ended_ms, current_attempt, "
    "pending_end, pending_end_message, step, total_steps, loss, last_heartbeat_ms, next_action_ms, capacity_failures";

JobRecord readJob(const Statement& s) {
  JobRecord j;
  j.id = s.text(0);
  j.name = s.text(1);
  j.provider = s.text(2);
  j.specJson = s.text(3);
  j.state = s.text(4);
  j.stateMessage = s.text(5);
  j.createdMs = s.integer(6);
  j.updatedMs = s.integer(7);
  j.endedMs = s.integer(8);
  j.currentAttempt = static_cast<int>(s.integer(9));
  j.pendingEnd = s.text(10);
  j.pendingEndMessage = s.text(11);
  j.step = s.integer(12);
  j.totalSteps = s.integer(13);
  if (!s.isNull(14)) j.loss = s.real(14);
  j.lastHeartbeatMs = s.integer(15);
  j.nextActionMs = s.integer(16);
  j.capacityFailures = static_cast<int>(s.integer(17));
  return j;
}

constexpr std::string_view kAttemptColumns =
    "job_id, number, provider, region, zone, instance_type, spot, price_per_hour, instance_id, requested_ms, "
    "start_ms, end_ms, end_cause, last_step, checkpoint_step, resumed_from_step, work_lost_steps, work_lost_seconds, gone_ms, "
    "price_changes, time_lapse";

std::string encodePriceChanges(const std::vector<PriceChange>& changes) {
  std::string out;
  char buf[64];
  for (const auto& c : changes) {
    std::snprintf(buf, sizeof buf, "%s%lld:%.17g", out.empty() ? "" : ",", static_cast<long long>(c.atMs), c.pricePerHour);
    out += buf;
  }
  return out;
}

std::vector<PriceChange> decodePriceChanges(const std::string& text) {
  std::vector<PriceChange> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const auto colon = item.find(':');
    if (colon != std::string::npos) {
      PriceChange c;
      c.atMs = std::strtoll(item.c_str(), nullptr, 10);
      c.pricePerHour = std::strtod(item.c_str() + colon + 1, nullptr);
      out.push_back(c);
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

AttemptRecord readAttempt(const Statement& s) {
  AttemptRecord a;
  a.jobId = s.text(0);
  a.number = static_cast<int>(s.integer(1));
  a.provider = s.text(2);
  a.region = s.text(3);
  a.zone = s.text(4);
  a.instanceType = s.text(5);
  a.spot = s.integer(6) != 0;
  a.pricePerHour = s.real(7);
  a.instanceId = s.text(8);
  a.requestedMs = s.integer(9);
  a.startMs = s.integer(10);
  a.endMs = s.integer(11);
  a.endCause = s.text(12);
  a.lastStep = s.integer(13);
  a.checkpointStep = s.integer(14);
  a.resumedFromStep = s.integer(15);
  a.workLostSteps = s.integer(16);
  a.workLostSeconds = s.real(17);
  a.goneMs = s.integer(18);
  a.priceChanges = decodePriceChanges(s.text(19));
  a.timeLapse = s.real(20);
  return a;
}

constexpr std::string_view kIntentColumns =
    "id, job_id, attempt, client_token, operation, target, created_ms, outcome, detail, resolved_ms";

IntentRecord readIntent(const Statement& s) {
  IntentRecord i;
  i.id = s.integer(0);
  i.jobId = s.text(1);
  i.attempt = static_cast<int>(s.integer(2));
  i.clientToken = s.text(3);
  i.operation = s.text(4);
  i.target = s.text(5);
  i.createdMs = s.integer(6);
  i.outcome = s.text(7);
  i.detail = s.text(8);
  i.resolvedMs = s.integer(9);
  return i;
}

/** Every row `s` yields, mapped by `read`. */
template <class Read>
auto collect(Statement& s, Read read) -> Result<std::vector<decltype(read(s))>> {
  std::vector<decltype(read(s))> out;
  while (true) {
    auto row = s.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read(s));
  }
}

EventRecord readEvent(const Statement& s) {
  return {s.integer(0), s.text(1), static_cast<int>(s.integer(2)), s.integer(3), s.text(4), s.text(5), s.text(6), s.text(7)};
}

SpendSample readSpendSample(const Statement& s) { return {s.text(0), s.integer(1), s.real(2), s.real(3)}; }

bool isTerminalStateName(std::string_view state) {
  return state == "Succeeded" || state == "Failed" || state == "Stopped" || state == "BudgetExceeded";
}

}  // namespace

Ledger::Ledger(sqlite3* db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}

Ledger::~Ledger() { sqlite3_close_v2(m_db); }

namespace {

// Serialises Ledger::open across processes (the app and spotwise-cli may create or migrate the
// same ledger at the same moment). SQLite's busy handler does not cover every step of a first
// open — switching a new file to WAL can fail with SQLITE_BUSY at once — so creation, the WAL
// switch and migrations run under an advisory lock on "<ledger>.lock".
class OpenLock {
 public:
  explicit OpenLock(const std::filesystem::path& file)
      : m_fd(::open((file.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (m_fd >= 0) ::flock(m_fd, LOCK_EX);
  }
  ~OpenLock() {
    if (m_fd >= 0) {
      ::flock(m_fd, LOCK_UN);
      ::close(m_fd);
    }
  }
  OpenLock(const OpenLock&) = delete;
  OpenLock& operator=(const OpenLock&) = delete;

 private:
  int m_fd;
};

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::open(const std::filesystem::path& file) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  const OpenLock lock(file);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    if (notWritable(file.parent_path().string())) why += " (its folder is read-only)";
    Error e = makeError(ErrorCode::PermissionDenied, "Ledger.open: cannot open " + file.string() + ": " + why);
    sqlite3_close_v2(db);
    return e;
  }
  // SQLite opens a file it may not write read-only without saying so; every ledger call writes.
  if (sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close_v2(db);
    return makeError(ErrorCode::PermissionDenied, "Ledger.open: " + file.string() +
                                                      " is read-only: Spotwise records every job there and must be "
                                                      "able to write it (nothing was changed)");
  }
  std::unique_ptr<Ledger> ledger(new Ledger(db, file));
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  // WAL: readers never block the writer (the UI reads while the controller writes) and a crash
  // mid-transaction leaves the last committed state. synchronous=FULL: a committed transition
  // survives power loss too, which is what makes "never launch twice" hold.
  if (auto r = ledger->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", "open");
      !r) {
    return r.error();
  }
  int version = 0;
  {
    if (auto r = ledger->exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", "open");
        !r) {
      return r.error();
    }
    Statement s(db, "SELECT value FROM meta WHERE key = 'schema_version'", "open");
    auto row = s.step();
    if (!row) return row.error();
    if (*row) version = std::stoi(s.text(0));
  }
  if (version > kSchemaVersion) {
    return makeError(ErrorCode::FailedPrecondition,
                     "Ledger.open: " + file.string() + " has schema version " + std::to_string(version) +
                         ", newer than this Spotwise understands (" + std::to_string(kSchemaVersion) +
                         "): update Spotwise");
  }
  if (version < kSchemaVersion) {
    if (auto r = ledger->updateDb(version); !r) return r.error();
  }
  return ledger;
}

Result<void> Ledger::exec(std::string_view sql, std::string_view operation) {
  char* message = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error e = dbError(m_db, operation, message ? std::string_view(message) : std::string_view());
    sqlite3_free(message);
    return e;
  }
  return {};
}

Result<void> Ledger::updateDb(int fromVersion) {
  // Each step runs in its own IMMEDIATE transaction together with its version row, so an
  // interrupted migration leaves the file at the last complete version. The version is read again
  // inside the transaction: another process opening the same new file may have migrated it first.
  static constexpr std::string_view kSteps[] = {kSchemaV1, kSchemaV2, kSchemaV3};
  for (int v = fromVersion; v < kSchemaVersion; ++v) {
    auto r = transaction([&]() -> Result<void> {
      if (schemaVersion() > v) return {};
      if (auto e = exec(kSteps[v], "updateDb(" + std::to_string(v) + ")"); !e) return e;
      Statement s(m_db, "INSERT INTO meta(key, value) VALUES('schema_version', ?1) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value", "updateDb");
      return s.bind(1, std::to_string(v + 1)).run();
    });
    if (!r) return r;
  }
  return {};
}

int Ledger::schemaVersion() const {
  Statement s(m_db, "SELECT value FROM meta WHERE key = 'schema_version'", "schemaVersion");
  auto row = s.step();
  return row && *row ? std::stoi(s.text(0)) : 0;
}

Result<void> Ledger::transaction(const std::function<Result<void>()>& body) {
  if (m_transactionDepth > 0) return body();
  // IMMEDIATE takes the write lock up front, so two processes never both read-then-write stale rows.
  if (auto r = exec("BEGIN IMMEDIATE", "transaction"); !r) return r;
  ++m_transactionDepth;
  Result<void> result = body();
  --m_transactionDepth;
  if (!result) {
    (void)exec("ROLLBACK", "transaction");
    return result;
  }
  if (auto r = exec("COMMIT", "transaction"); !r) {
    (void)exec("ROLLBACK", "transaction");
    return r;
  }
  return {};
}

Result<void> Ledger::readSnapshot(const std::function<Result<void>()>& body) {
  if (m_transactionDepth > 0) return body();
  if (auto r = exec("BEGIN DEFERRED", "readSnapshot"); !r) return r;
  ++m_transactionDepth;
  Result<void> result = body();
  --m_transactionDepth;
  if (auto r = exec(result ? "COMMIT" : "ROLLBACK", "readSnapshot"); !r && result) return r;
  return result;
}

Result<void> Ledger::insertJob(const JobRecord& j) {
  Statement s(m_db,
              "INSERT INTO jobs(" + std::string(kJobColumns) +
                  ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
              "insertJob");
  // No secret reaches the ledger file: messages (which may quote a provider's answer) go through
  // redactSecrets; the spec, which must parse back unchanged for a relaunch, loses only
  // Spotwise's own registered credentials (a job's environment may have a TOKEN of its own).
  s.bind(1, j.id).bind(2, j.name).bind(3, j.provider).bind(4, redactRegisteredSecrets(j.specJson)).bind(5, j.state);
  s.bind(6, redactSecrets(j.stateMessage));
  s.bind(7, j.createdMs).bind(8, j.updatedMs).bind(9, j.endedMs).bind(10, j.currentAttempt).bind(11, j.pendingEnd);
  s.bind(12, redactSecrets(j.pendingEndMessage)).bind(13, j.step).bind(14, j.totalSteps).bind(15, j.loss);
  s.bind(16, j.lastHeartbeatMs).bind(17, j.nextActionMs).bind(18, j.capacityFailures);
  return s.run();
}

namespace {
constexpr std::string_view kUpdateJob =
    "UPDATE jobs SET name=?2, provider=?3, spec_json=?4, state=?5, state_message=?6, created_ms=?7, updated_ms=?8, "
    "ended_ms=?9, current_attempt=?10, pending_end=?11, pending_end_message=?12, step=?13, total_steps=?14, loss=?15, "
    "last_heartbeat_ms=?16, next_action_ms=?17, capacity_failures=?18 WHERE id=?1";

void bindJob(Statement& s, const JobRecord& j) {
  // No secret reaches the ledger file: messages (which may quote a provider's answer) go through
  // redactSecrets; the spec, which must parse back unchanged for a relaunch, loses only
  // Spotwise's own registered credentials (a job's environment may have a TOKEN of its own).
  s.bind(1, j.id).bind(2, j.name).bind(3, j.provider).bind(4, redactRegisteredSecrets(j.specJson)).bind(5, j.state);
  s.bind(6, redactSecrets(j.stateMessage));
  s.bind(7, j.createdMs).bind(8, j.updatedMs).bind(9, j.endedMs).bind(10, j.currentAttempt).bind(11, j.pendingEnd);
  s.bind(12, redactSecrets(j.pendingEndMessage)).bind(13, j.step).bind(14, j.totalSteps).bind(15, j.loss);
  s.bind(16, j.lastHeartbeatMs).bind(17, j.nextActionMs).bind(18, j.capacityFailures);
}
}  // namespace

Result<void> Ledger::updateJob(const JobRecord& j) {
  Statement s(m_db, kUpdateJob, "updateJob");
  bindJob(s, j);
  if (auto r = s.run(); !r) return r;
  if (sqlite3_changes(m_db) != 1) return makeError(ErrorCode::NotFound, "Ledger.updateJob: no job " + j.id);
  return {};
}

Result<bool> Ledger::updateJobIfState(const JobRecord& j, std::string_view expectedState) {
  Statement s(m_db, std::string(kUpdateJob) + " AND state=?19", "updateJobIfState");
  bindJob(s, j);
  s.bind(19, expectedState);
  if (auto r = s.run(); !r) return r.error();
  return sqlite3_changes(m_db) == 1;
}

Result<std::optional<JobRecord>> Ledger::job(std::string_view id) {
  Statement s(m_db, "SELECT " + std::string(kJobColumns) + " FROM jobs WHERE id=?1", "job");
  s.bind(1, id);
  auto row = s.step();
  if (!row) return row.error();
  if (!*row) return std::optional<JobRecord>();
  return std::optional<JobRecord>(readJob(s));
}

Result<std::vector<JobRecord>> Ledger::jobs(bool activeOnly) {
  std::string sql = "SELECT " + std::string(kJobColumns) + " FROM jobs";
  if (activeOnly) sql += " WHERE state NOT IN ('Succeeded','Failed','Stopped','BudgetExceeded')";
  sql += " ORDER BY created_ms DESC, id";
  Statement s(m_db, sql, "jobs");
  return collect(s, readJob);
}

Result<std::string> Ledger::resolveJobId(std::string_view idOrPrefix) {
  if (idOrPrefix.empty()) return makeError(ErrorCode::InvalidArgument, "Ledger.resolveJobId: empty job id");
  Statement s(m_db, "SELECT id FROM jobs WHERE substr(id, 1, ?2) = ?1 ORDER BY id LIMIT 2", "resolveJobId");
  s.bind(1, idOrPrefix).bind(2, static_cast<std::int64_t>(idOrPrefix.size()));
  auto rows = collect(s, [](const Statement& st) { return st.text(0); });
  if (!rows) return rows.error();
  const auto& found = *rows;
  if (found.empty()) return makeError(ErrorCode::NotFound, "no job with id " + std::string(idOrPrefix));
  if (found.size() > 1 && found[0] != idOrPrefix) {
    return makeError(ErrorCode::InvalidArgument, "job id " + std::string(idOrPrefix) + " is ambiguous: give more characters");
  }
  return found[0];
}

Result<void> Ledger::upsertAttempt(const AttemptRecord& a) {
  Statement s(m_db,
              "INSERT INTO attempts(" + std::string(kAttemptColumns) +
                  ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21) "
                  "ON CONFLICT(job_id, number) DO UPDATE SET provider=excluded.provider, region=excluded.region, "
                  "zone=excluded.zone, instance_type=excluded.instance_type, spot=excluded.spot, "
                  "price_per_hour=excluded.price_per_hour, instance_id=excluded.instance_id, "
                  "requested_ms=excluded.requested_ms, start_ms=excluded.start_ms, end_ms=excluded.end_ms, "
                  "end_cause=excluded.end_cause, last_step=excluded.last_step, "
                  "checkpoint_step=excluded.checkpoint_step, resumed_from_step=excluded.resumed_from_step, "
                  "work_lost_steps=excluded.work_lost_steps, work_lost_seconds=excluded.work_lost_seconds, "
                  "gone_ms=excluded.gone_ms, price_changes=excluded.price_changes, time_lapse=excluded.time_lapse",
              "upsertAttempt");
  s.bind(1, a.jobId).bind(2, a.number).bind(3, a.provider).bind(4, a.region).bind(5, a.zone).bind(6, a.instanceType);
  s.bind(7, a.spot).bind(8, a.pricePerHour).bind(9, a.instanceId).bind(10, a.requestedMs).bind(11, a.startMs);
  s.bind(12, a.endMs).bind(13, redactSecrets(a.endCause)).bind(14, a.lastStep).bind(15, a.checkpointStep).bind(16, a.resumedFromStep);
  s.bind(17, a.workLostSteps).bind(18, a.workLostSeconds).bind(19, a.goneMs);
  s.bind(20, encodePriceChanges(a.priceChanges)).bind(21, a.timeLapse);
  return s.run();
}

Result<std::optional<AttemptRecord>> Ledger::attempt(std::string_view jobId, int number) {
  Statement s(m_db, "SELECT " + std::string(kAttemptColumns) + " FROM attempts WHERE job_id=?1 AND number=?2",
              "attempt");
  s.bind(1, jobId).bind(2, number);
  auto row = s.step();
  if (!row) return row.error();
  if (!*row) return std::optional<AttemptRecord>();
  return std::optional<AttemptRecord>(readAttempt(s));
}

Result<std::vector<AttemptRecord>> Ledger::attempts(std::string_view jobId) {
  Statement s(m_db, "SELECT " + std::string(kAttemptColumns) + " FROM attempts WHERE job_id=?1 ORDER BY number",
              "attempts");
  s.bind(1, jobId);
  return collect(s, readAttempt);
}

Result<std::vector<AttemptRecord>> Ledger::unconfirmedAttempts() {
  Statement s(m_db,
              "SELECT " + std::string(kAttemptColumns) +
                  " FROM attempts WHERE end_ms > 0 AND gone_ms = 0 AND instance_id != '' ORDER BY job_id, number",
              "unconfirmedAttempts");
  return collect(s, readAttempt);
}

Result<void> Ledger::addEvent(const EventRecord& e) {
  Statement s(m_db,
              "INSERT INTO events(job_id, attempt, at_ms, kind, from_state, to_state, message) "
              "VALUES(?1,?2,?3,?4,?5,?6,?7)",
              "addEvent");
  s.bind(1, e.jobId).bind(2, e.attempt).bind(3, e.atMs).bind(4, e.kind).bind(5, e.fromState).bind(6, e.toState);
  s.bind(7, redactSecrets(e.message));
  return s.run();
}

Result<std::vector<EventRecord>> Ledger::events(std::string_view jobId) {
  Statement s(m_db,
              "SELECT id, job_id, attempt, at_ms, kind, from_state, to_state, message FROM events WHERE job_id=?1 "
              "ORDER BY id",
              "events");
  s.bind(1, jobId);
  return collect(s, readEvent);
}

Result<void> Ledger::addSpendSample(const SpendSample& sample) {
  Statement s(m_db, "INSERT INTO spend_samples(job_id, at_ms, spend_usd, burn_usd_per_hour) VALUES(?1,?2,?3,?4)",
              "addSpendSample");
  s.bind(1, sample.jobId).bind(2, sample.atMs).bind(3, sample.spendUsd).bind(4, sample.burnUsdPerHour);
  return s.run();
}

Result<std::vector<SpendSample>> Ledger::spendSamples(std::string_view jobId) {
  Statement s(m_db,
              "SELECT job_id, at_ms, spend_usd, burn_usd_per_hour FROM spend_samples WHERE job_id=?1 ORDER BY at_ms",
              "spendSamples");
  s.bind(1, jobId);
  return collect(s, readSpendSample);
}

Result<std::int64_t> Ledger::beginIntent(const IntentRecord& i) {
  Statement s(m_db,
              "INSERT INTO intents(job_id, attempt, client_token, operation, target, created_ms, outcome, detail) "
              "VALUES(?1,?2,?3,?4,?5,?6,'pending','')",
              "beginIntent");
  s.bind(1, i.jobId).bind(2, i.attempt).bind(3, i.clientToken).bind(4, i.operation).bind(5, redactSecrets(i.target));
  s.bind(6, i.createdMs);
  if (auto r = s.run(); !r) return r.error();
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(m_db));
}

Result<void> Ledger::resolveIntent(std::int64_t id, std::string_view outcome, std::string_view detail, std::int64_t atMs) {
  Statement s(m_db, "UPDATE intents SET outcome=?2, detail=?3, resolved_ms=?4 WHERE id=?1", "resolveIntent");
  s.bind(1, id).bind(2, outcome).bind(3, redactSecrets(detail)).bind(4, atMs);
  if (auto r = s.run(); !r) return r;
  if (sqlite3_changes(m_db) != 1) return makeError(ErrorCode::NotFound, "Ledger.resolveIntent: no intent " + std::to_string(id));
  return {};
}

Result<std::vector<IntentRecord>> Ledger::intents(std::string_view jobId) {
  Statement s(m_db, "SELECT " + std::string(kIntentColumns) + " FROM intents WHERE job_id=?1 ORDER BY id", "intents");
  s.bind(1, jobId);
  return collect(s, readIntent);
}

Result<std::vector<IntentRecord>> Ledger::pendingIntents() {
  Statement s(m_db, "SELECT " + std::string(kIntentColumns) + " FROM intents WHERE outcome='pending' ORDER BY id",
              "pendingIntents");
  return collect(s, readIntent);
}

Result<std::vector<std::string>> Ledger::checkConsistency() {
  std::vector<std::string> problems;
  {
    Statement s(m_db, "PRAGMA integrity_check", "checkConsistency");
    while (true) {
      auto row = s.step();
      if (!row) return row.error();
      if (!*row) break;
      if (s.text(0) != "ok") problems.push_back("integrity: " + s.text(0));
    }
  }
  auto all = jobs(false);
  if (!all) return all.error();
  for (const auto& j : *all) {
    auto list = attempts(j.id);
    if (!list) return list.error();
    int expected = 1;
    std::set<std::string> instances;
    int open = 0;
    for (const auto& a : *list) {
      if (a.number != expected++) problems.push_back(j.id + ": attempt numbers are not 1..n");
      if (!a.instanceId.empty() && !instances.insert(a.instanceId).second) {
        problems.push_back(j.id + ": instance " + a.instanceId + " recorded for two attempts");
      }
      if (a.endMs == 0) ++open;
      if (a.endMs != 0 && a.startMs != 0 && a.endMs < a.startMs) problems.push_back(j.id + ": attempt ends before it starts");
    }
    if (j.currentAttempt != static_cast<int>(list->size())) {
      problems.push_back(j.id + ": current attempt " + std::to_string(j.currentAttempt) + " but " +
                         std::to_string(list->size()) + " attempts recorded");
    }
    if (open > 1) problems.push_back(j.id + ": more than one open attempt");
    if (isTerminalStateName(j.state) && open > 0) problems.push_back(j.id + ": ended (" + j.state + ") with an open attempt");
  }
  return problems;
}

}  // namespace spotwise::ledger
