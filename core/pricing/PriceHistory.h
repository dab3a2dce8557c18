#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/common/Result.h"
#include "core/pricing/sources/PriceRecord.h"

struct sqlite3;

namespace spotwise::pricing {

/** The data of a source's latest successful refresh. */
struct LastGood {
  std::int64_t fetchedUnix = 0;
  sources::ParsedPrices parsed;
};

/** A source's refresh health: when it last worked, and how its last attempt ended. */
struct SourceHealth {
  std::string sourceId;
  std::optional<std::int64_t> lastSuccessUnix;
  std::int64_t lastAttemptUnix = 0;
  bool lastAttemptOk = false;
  std::string lastError;  ///< of the last attempt, when it failed
};

/** One point of an offer's price over time (as fetched by a refresh). */
struct HistoryPoint {
  std::int64_t fetchedUnix = 0;
  std::int64_t asOfUnix = 0;
  double usdPerHour = 0.0;
  std::string sourceId;
};

/** The recorded prices of one offer and one kind (PriceHistory::history). */
struct OfferHistory {
  std::vector<HistoryPoint> points;
  /** A zone offer whose zone has no stored series of this kind: `points` are its region's (zone ""). */
  bool regionLevel = false;
};

/**
 * Spotwise's own price history in a SQLite file (WAL): every live refresh of every source, its
 * records, and its outcome. The tables are prefixed `prices_`, with their own schema version
 * (`prices_meta.schema_version`) and migrations, so the file may be shared with other features or
 * stand alone. Failed refreshes are recorded too, but never replace a source's last good data.
 *
 * One PriceHistory per thread (a connection is not shared); several may open the same file.
 */
class PriceHistory {
 public:
  /** The schema version this build writes. */
  static constexpr int kSchemaVersion = 2;

  /** Opens (creating if needed) and migrates. Errors: a file from a newer Spotwise, a corrupt file. */
  static Result<PriceHistory> open(const std::filesystem::path& file);

  PriceHistory(PriceHistory&& other) noexcept;
  PriceHistory& operator=(PriceHistory&& other) noexcept;
  ~PriceHistory();

  [[nodiscard]] int schemaVersion() const { return m_version; }

  /** Records a successful refresh of `sourceId` and all its records, in one transaction. */
  Result<void> recordSuccess(const std::string& sourceId, std::int64_t fetchedUnix, const sources::ParsedPrices& parsed);
  /** Records a failed attempt; the last good data stays what it was. */
  Result<void> recordFailure(const std::string& sourceId, std::int64_t attemptUnix, const Error& error);

  /** The records of the latest successful refresh of `sourceId`, if any. */
  Result<std::optional<LastGood>> lastGood(const std::string& sourceId);
  /** Health of every source ever refreshed, by source id. */
  Result<std::vector<SourceHealth>> health();
  /**
   * Recorded `kind` prices of `offer`, oldest first: the stored prices of its provider, region and
   * instance type whose GPU model and count are its own (a stored price names no GPU model, or count,
   * when its source gives only the instance type, as AWS and Azure do: the catalog takes those from
   * the machine table, so they match). For a zone offer, its zone's own series when one is stored,
   * else the region-level series (zone ""), which OfferHistory::regionLevel then says.
   */
  Result<OfferHistory> history(const Offer& offer, sources::PriceKind kind);

 private:
  explicit PriceHistory(sqlite3* db) : m_db(db) {}
  Result<void> migrate();

  sqlite3* m_db = nullptr;
  int m_version = 0;
};

}  // namespace spotwise::pricing
