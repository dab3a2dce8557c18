#include "core/pricing/PriceHistory.h"

#include <array>
#include <string_view>

#include <sqlite3.h>

namespace spotwise::pricing {

namespace {

constexpr std::string_view kOp = "PriceHistory: ";

// Migration N takes the schema from version N to N+1. Never edit a shipped step; add one.
constexpr std::array<std::string_view, PriceHistory::kSchemaVersion> kMigrations{{
    // 0 → 1: refreshes and their price points
    R"sql(
CREATE TABLE prices_refresh(
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  at INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  items INTEGER NOT NULL DEFAULT 0,
  notes TEXT NOT NULL DEFAULT '');
CREATE INDEX prices_refresh_source ON prices_refresh(source, ok, at);
CREATE TABLE prices_point(
  refresh_id INTEGER NOT NULL REFERENCES prices_refresh(id) ON DELETE CASCADE,
  provider TEXT NOT NULL, region TEXT NOT NULL, zone TEXT NOT NULL, instance_type TEXT NOT NULL,
  kind TEXT NOT NULL, usd_per_hour REAL NOT NULL CHECK (usd_per_hour > 0), as_of INTEGER NOT NULL,
  gpu_model TEXT NOT NULL, gpu_count INTEGER NOT NULL, gpu_memory_gib REAL NOT NULL, vcpus REAL NOT NULL, ram_gib REAL NOT NULL);
CREATE INDEX prices_point_refresh ON prices_point(refresh_id);
)sql",
    // 1 → 2: interruption bands, and a lookup index for price history charts
    R"sql(
CREATE TABLE prices_interruption(
  refresh_id INTEGER NOT NULL REFERENCES prices_refresh(id) ON DELETE CASCADE,
  provider TEXT NOT NULL, region TEXT NOT NULL, instance_type TEXT NOT NULL,
  band_index INTEGER NOT NULL, label TEXT NOT NULL, min_percent REAL NOT NULL, max_percent REAL NOT NULL,
  savings_percent INTEGER);
CREATE INDEX prices_interruption_refresh ON prices_interruption(refresh_id);
CREATE INDEX prices_point_offer ON prices_point(provider, region, instance_type, kind, zone);
)sql",
}};

/** RAII prepared statement. */
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) { m_rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_stmt, nullptr); }
  ~Statement() { sqlite3_finalize(m_stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  [[nodiscard]] bool ok() const { return m_rc == SQLITE_OK; }
  Statement& bind(int i, std::string_view text) {
    sqlite3_bind_text(m_stmt, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(m_stmt, i, v);
    return *this;
  }
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(m_stmt, i, v);
    return *this;
  }
  Statement& bindNull(int i) {
    sqlite3_bind_null(m_stmt, i);
    return *this;
  }
  int step() { return sqlite3_step(m_stmt); }
  void reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(m_stmt, col); }
  double real(int col) const { return sqlite3_column_double(m_stmt, col); }
  bool isNull(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(m_stmt, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))) : std::string();
  }

 private:
  sqlite3_stmt* m_stmt = nullptr;
  int m_rc = SQLITE_ERROR;
};

Error dbError(sqlite3* db, const std::string& what) {
  const int rc = sqlite3_errcode(db);
  const ErrorCode code = (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) ? ErrorCode::DataLoss
                         : (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? ErrorCode::Unavailable
                                                                       : ErrorCode::Internal;
  return makeError(code, std::string(kOp) + what + ": " + sqlite3_errmsg(db));
}

Result<void> exec(sqlite3* db, std::string_view sql, const std::string& what) {
  char* message = nullptr;
  if (sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return makeError(ErrorCode::Internal, std::string(kOp) + what + ": " + text);
  }
  return {};
}

// Warnings share the notes column, marked, so the schema stays as it is.
constexpr std::string_view kWarningMark = "warning: ";

std::string joinNotes(const sources::ParsedPrices& parsed) {
  std::string out;
  for (const auto& n : parsed.notes) out += (out.empty() ? "" : "\n") + n;
  for (const auto& w : parsed.warnings) out += (out.empty() ? "" : "\n") + std::string(kWarningMark) + w;
  return out;
}

}  // namespace

Result<PriceHistory> PriceHistory::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.string().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    Error error = makeError(ErrorCode::FailedPrecondition, std::string(kOp) + "cannot open " + file.string() + ": " +
                                                               (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return error;
  }
  PriceHistory history(db);
  sqlite3_busy_timeout(db, 5000);
  if (auto r = exec(db, "PRAGMA foreign_keys=ON;", "enable foreign keys"); !r) return r.error();
  {
    Statement wal(db, "PRAGMA journal_mode=WAL;");
    if (!wal.ok() || wal.step() != SQLITE_ROW) return dbError(db, "open " + file.string());
    if (wal.text(0) != "wal") return makeError(ErrorCode::FailedPrecondition, std::string(kOp) + "WAL journal mode refused for " + file.string());
  }
  if (auto r = history.migrate(); !r) return r.error();
  return history;
}

PriceHistory::PriceHistory(PriceHistory&& other) noexcept : m_db(other.m_db), m_version(other.m_version) { other.m_db = nullptr; }

PriceHistory& PriceHistory::operator=(PriceHistory&& other) noexcept {
  if (this != &other) {
    sqlite3_close(m_db);
    m_db = other.m_db;
    m_version = other.m_version;
    other.m_db = nullptr;
  }
  return *this;
}

PriceHistory::~PriceHistory() { sqlite3_close(m_db); }

Result<void> PriceHistory::migrate() {
  if (auto r = exec(m_db, "CREATE TABLE IF NOT EXISTS prices_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);", "create prices_meta"); !r) {
    return r;
  }
  {
    Statement read(m_db, "SELECT value FROM prices_meta WHERE key='schema_version';");
    if (!read.ok()) return dbError(m_db, "read schema version");
    m_version = read.step() == SQLITE_ROW ? static_cast<int>(std::stoi(read.text(0))) : 0;
  }
  if (m_version > kSchemaVersion) {
    return makeError(ErrorCode::FailedPrecondition, std::string(kOp) + "the price history was written by a newer Spotwise (schema " +
                                                        std::to_string(m_version) + ", this build knows " +
                                                        std::to_string(kSchemaVersion) + ")");
  }
  while (m_version < kSchemaVersion) {
    if (auto r = exec(m_db, "BEGIN IMMEDIATE;", "begin migration"); !r) return r;
    auto step = exec(m_db, kMigrations[static_cast<std::size_t>(m_version)], "migrate to schema " + std::to_string(m_version + 1));
    if (step) {
      Statement write(m_db, "INSERT INTO prices_meta(key, value) VALUES('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value;");
      write.bind(1, std::to_string(m_version + 1));
      if (!write.ok() || write.step() != SQLITE_DONE) step = dbError(m_db, "write schema version");
    }
    if (!step) {
      (void)exec(m_db, "ROLLBACK;", "rollback migration");
      return step;
    }
    if (auto r = exec(m_db, "COMMIT;", "commit migration"); !r) return r;
    ++m_version;
  }
  return {};
}

Result<void> PriceHistory::recordSuccess(const std::string& sourceId, std::int64_t fetchedUnix, const sources::ParsedPrices& parsed) {
  if (auto r = exec(m_db, "BEGIN IMMEDIATE;", "begin"); !r) return r;
  auto body = [&]() -> Result<void> {
    Statement refresh(m_db, "INSERT INTO prices_refresh(source, at, ok, items, notes) VALUES(?, ?, 1, ?, ?);");
    refresh.bind(1, sourceId).bind(2, fetchedUnix).bind(3, static_cast<std::int64_t>(parsed.itemsRead)).bind(4, joinNotes(parsed));
    if (!refresh.ok() || refresh.step() != SQLITE_DONE) return dbError(m_db, "record refresh of " + sourceId);
    const std::int64_t id = sqlite3_last_insert_rowid(m_db);
    Statement point(m_db,
                    "INSERT INTO prices_point(refresh_id, provider, region, zone, instance_type, kind, usd_per_hour, as_of, gpu_model,"
                    " gpu_count, gpu_memory_gib, vcpus, ram_gib) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?);");
    if (!point.ok()) return dbError(m_db, "prepare price insert");
    for (const auto& r : parsed.records) {
      point.bind(1, id).bind(2, providerId(r.provider)).bind(3, r.region).bind(4, r.zone).bind(5, r.instanceType);
      point.bind(6, sources::priceKindName(r.kind)).bind(7, r.usdPerHour).bind(8, r.asOfUnix).bind(9, r.gpuModel);
      point.bind(10, r.gpuCount).bind(11, r.gpuMemoryGiB).bind(12, r.vcpus).bind(13, r.ramGiB);
      if (point.step() != SQLITE_DONE) return dbError(m_db, "record price of " + r.instanceType + " in " + r.region);
      point.reset();
    }
    Statement band(m_db,
                   "INSERT INTO prices_interruption(refresh_id, provider, region, instance_type, band_index, label, min_percent,"
                   " max_percent, savings_percent) VALUES(?,?,?,?,?,?,?,?,?);");
    if (!band.ok()) return dbError(m_db, "prepare band insert");
    for (const auto& b : parsed.interruptions) {
      band.bind(1, id).bind(2, providerId(b.provider)).bind(3, b.region).bind(4, b.instanceType).bind(5, b.band.index);
      band.bind(6, b.band.label).bind(7, b.band.minMonthlyPercent).bind(8, b.band.maxMonthlyPercent);
      if (b.savingsPercent) {
        band.bind(9, *b.savingsPercent);
      } else {
        band.bindNull(9);
      }
      if (band.step() != SQLITE_DONE) return dbError(m_db, "record band of " + b.instanceType);
      band.reset();
    }
    return {};
  };
  auto result = body();
  if (!result) {
    (void)exec(m_db, "ROLLBACK;", "rollback");
    return result;
  }
  return exec(m_db, "COMMIT;", "commit refresh of " + sourceId);
}

Result<void> PriceHistory::recordFailure(const std::string& sourceId, std::int64_t attemptUnix, const Error& error) {
  Statement refresh(m_db, "INSERT INTO prices_refresh(source, at, ok, error) VALUES(?, ?, 0, ?);");
  refresh.bind(1, sourceId).bind(2, attemptUnix).bind(3, error.toString());
  if (!refresh.ok() || refresh.step() != SQLITE_DONE) return dbError(m_db, "record failure of " + sourceId);
  return {};
}

Result<std::optional<LastGood>> PriceHistory::lastGood(const std::string& sourceId) {
  Statement latest(m_db, "SELECT id, at, items, notes FROM prices_refresh WHERE source=? AND ok=1 ORDER BY at DESC, id DESC LIMIT 1;");
  latest.bind(1, sourceId);
  if (!latest.ok()) return dbError(m_db, "find last good refresh");
  const int rc = latest.step();
  if (rc == SQLITE_DONE) return std::optional<LastGood>{};
  if (rc != SQLITE_ROW) return dbError(m_db, "find last good refresh of " + sourceId);
  LastGood good;
  const std::int64_t id = latest.int64(0);
  good.fetchedUnix = latest.int64(1);
  good.parsed.itemsRead = static_cast<std::size_t>(latest.int64(2));
  const std::string notes = latest.text(3);
  for (std::size_t start = 0; start < notes.size();) {
    const auto end = notes.find('\n', start);
    std::string line = notes.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.starts_with(kWarningMark)) good.parsed.warnings.push_back(line.substr(kWarningMark.size()));
    else good.parsed.notes.push_back(std::move(line));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  Statement points(m_db,
                   "SELECT provider, region, zone, instance_type, kind, usd_per_hour, as_of, gpu_model, gpu_count, gpu_memory_gib, vcpus,"
                   " ram_gib FROM prices_point WHERE refresh_id=? ORDER BY rowid;");
  points.bind(1, id);
  while (points.step() == SQLITE_ROW) {
    sources::PriceRecord r;
    r.provider = parseProvider(points.text(0)).value_or(CloudProvider::Aws);
    r.region = points.text(1);
    r.zone = points.text(2);
    r.instanceType = points.text(3);
    r.kind = points.text(4) == "spot" ? sources::PriceKind::Spot : sources::PriceKind::OnDemand;
    r.usdPerHour = points.real(5);
    r.asOfUnix = points.int64(6);
    r.sourceId = sourceId;
    r.gpuModel = points.text(7);
    r.gpuCount = static_cast<int>(points.int64(8));
    r.gpuMemoryGiB = points.real(9);
    r.vcpus = points.real(10);
    r.ramGiB = points.real(11);
    good.parsed.records.push_back(std::move(r));
  }
  Statement bands(m_db,
                  "SELECT provider, region, instance_type, band_index, label, min_percent, max_percent, savings_percent FROM"
                  " prices_interruption WHERE refresh_id=? ORDER BY rowid;");
  bands.bind(1, id);
  while (bands.step() == SQLITE_ROW) {
    sources::InterruptionRecord b;
    b.provider = parseProvider(bands.text(0)).value_or(CloudProvider::Aws);
    b.region = bands.text(1);
    b.instanceType = bands.text(2);
    b.band = InterruptionBand{static_cast<int>(bands.int64(3)), bands.text(4), bands.real(5), bands.real(6), sourceId};
    if (!bands.isNull(7)) b.savingsPercent = static_cast<int>(bands.int64(7));
    good.parsed.interruptions.push_back(std::move(b));
  }
  return std::optional<LastGood>{std::move(good)};
}

Result<std::vector<SourceHealth>> PriceHistory::health() {
  Statement query(m_db,
                  "SELECT r.source, (SELECT MAX(at) FROM prices_refresh s WHERE s.source=r.source AND s.ok=1), r.at, r.ok, r.error"
                  " FROM prices_refresh r WHERE r.id = (SELECT id FROM prices_refresh t WHERE t.source=r.source ORDER BY at DESC, id DESC LIMIT 1)"
                  " ORDER BY r.source;");
  if (!query.ok()) return dbError(m_db, "read source health");
  std::vector<SourceHealth> out;
  while (query.step() == SQLITE_ROW) {
    SourceHealth h;
    h.sourceId = query.text(0);
    if (!query.isNull(1)) h.lastSuccessUnix = query.int64(1);
    h.lastAttemptUnix = query.int64(2);
    h.lastAttemptOk = query.int64(3) != 0;
    h.lastError = query.text(4);
    out.push_back(std::move(h));
  }
  return out;
}

Result<OfferHistory> PriceHistory::history(const Offer& offer, sources::PriceKind kind) {
  // An empty gpu_model / 0 gpu_count is a source that names only the instance type (the catalog takes
  // its GPUs from the machine table); otherwise both must be the offer's (GCP N1 types come with
  // several GPU choices under one instance type).
  Statement query(m_db,
                  "SELECT r.at, p.as_of, p.usd_per_hour, r.source, p.zone FROM prices_point p JOIN prices_refresh r ON r.id = p.refresh_id"
                  " WHERE p.provider=? AND p.region=? AND p.instance_type=? AND p.kind=? AND (p.zone=? OR p.zone='')"
                  " AND (p.gpu_model=? OR p.gpu_model='') AND (p.gpu_count=? OR p.gpu_count=0) ORDER BY r.at, r.id, p.rowid;");
  query.bind(1, providerId(offer.provider)).bind(2, offer.region).bind(3, offer.instanceType).bind(4, sources::priceKindName(kind));
  query.bind(5, offer.zone).bind(6, offer.gpuModel).bind(7, offer.gpuCount);
  if (!query.ok()) return dbError(m_db, "read price history");
  std::vector<HistoryPoint> zonePoints, regionPoints;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) {
    HistoryPoint point{query.int64(0), query.int64(1), query.real(2), query.text(3)};
    (query.text(4).empty() ? regionPoints : zonePoints).push_back(std::move(point));
  }
  if (rc != SQLITE_DONE) return dbError(m_db, "read price history of " + offer.instanceType + " in " + offer.region);
  OfferHistory out;
  if (!offer.zone.empty() && zonePoints.empty()) {
    out.regionLevel = !regionPoints.empty();
    out.points = std::move(regionPoints);
  } else {
    out.points = offer.zone.empty() ? std::move(regionPoints) : std::move(zonePoints);
  }
  return out;
}

}  // namespace spotwise::pricing
