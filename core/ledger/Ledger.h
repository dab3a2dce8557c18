#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"

struct sqlite3;

namespace spotwise::ledger {

/** One job as stored. Times are Unix milliseconds (0 = not yet). */
struct JobRecord {
  std::string id;
  std::string name;
  std::string provider;
  std::string specJson;        ///< the JobSpec as launched (serializeJobSpec)
  std::string state;           ///< jobStateName()
  std::string stateMessage;    ///< why the job is in this state, in words
  std::int64_t createdMs = 0;
  std::int64_t updatedMs = 0;
  std::int64_t endedMs = 0;
  int currentAttempt = 0;      ///< the attempt being launched or running (0 before the first)
  std::string pendingEnd;      ///< an ending event waiting for the provider to confirm termination (JobEvent name)
  std::string pendingEndMessage;
  std::int64_t step = -1;      ///< last progress seen (-1 unknown)
  std::int64_t totalSteps = -1;
  std::optional<double> loss;
  std::int64_t lastHeartbeatMs = 0;  ///< updated_at of the last status.json of the current attempt
  std::int64_t nextActionMs = 0;     ///< capacity back-off: do not launch before this
  int capacityFailures = 0;
};

/** One attempt (one instance launch) of a job. */
/** A spot price that took effect during an attempt (USD per hour, from atMs on). */
struct PriceChange {
  std::int64_t atMs = 0;
  double pricePerHour = 0.0;
  bool operator==(const PriceChange&) const = default;
};

struct AttemptRecord {
  std::string jobId;
  int number = 0;
  std::string provider;
  std::string region;
  std::string zone;
  std::string instanceType;
  bool spot = true;
  double pricePerHour = 0.0;
  std::string instanceId;       ///< empty until the provider accepted the launch
  std::int64_t requestedMs = 0; ///< launch request sent
  std::int64_t startMs = 0;     ///< launch accepted (billing starts)
  std::int64_t endMs = 0;       ///< instance gone (or launch refused); 0 while open
  std::string endCause;         ///< preempted, succeeded, failed, stopped, budget, capacity, boot-timeout, ...
  std::int64_t lastStep = -1;       ///< last step this attempt reported
  std::int64_t checkpointStep = -1; ///< step of the last checkpoint it uploaded
  std::int64_t resumedFromStep = -1;///< step it restored from LATEST (0 = fresh start)
  std::int64_t workLostSteps = -1;  ///< steps redone by the next attempt (-1 unknown)
  double workLostSeconds = -1;      ///< the same in seconds of this attempt's training time (-1 unknown)
  /**
   * When the provider was seen to have terminated the instance (billing stops). 0 while not
   * confirmed: an ended attempt whose instance is not confirmed gone still bills until now.
   */
  std::int64_t goneMs = 0;
  /** Spot price changes seen while the attempt ran, in time order (pricePerHour is the price at launch). */
  std::vector<PriceChange> priceChanges;
  /** Billed seconds per real second: 1 on the clouds; a Local time-lapse rehearsal bills simulated time. */
  double timeLapse = 1.0;
};

/** One line of a job's history. */
struct EventRecord {
  std::int64_t id = 0;
  std::string jobId;
  int attempt = 0;
  std::int64_t atMs = 0;
  std::string kind;       ///< JobEvent name, or "note"
  std::string fromState;
  std::string toState;
  std::string message;
};

/** Spend of a job at one poll. */
struct SpendSample {
  std::string jobId;
  std::int64_t atMs = 0;
  double spendUsd = 0.0;
  double burnUsdPerHour = 0.0;
};

/**
 * A cloud mutation about to happen (written before the call) and its outcome (written after).
 * operation: "launch", "terminate". outcome: "pending", "ok", "failed", "adopted", "superseded".
 */
struct IntentRecord {
  std::int64_t id = 0;
  std::string jobId;
  int attempt = 0;
  std::string clientToken;
  std::string operation;
  std::string target;      ///< instance id for terminate; region/zone for launch
  std::int64_t createdMs = 0;
  std::string outcome = "pending";
  std::string detail;      ///< instance id on success, the error otherwise
  std::int64_t resolvedMs = 0;
};

/**
 * The job ledger: one SQLite file in WAL mode, with a schema-version row in `meta` and migrations
 * (updateDb(fromVersion)) run when an older file is opened. Several processes may open the same
 * file (the app, `spotwise-cli stop`); writers wait up to 5 s for each other.
 * One Ledger object is thread-compatible (one thread at a time); open one per thread.
 * Every error names the operation ("Ledger.updateJob: ...").
 */
class Ledger {
 public:
  /** The schema version this build writes. */
  static constexpr int kSchemaVersion = 3;

  /** Opens (creating when absent) the ledger at `file` and migrates it to kSchemaVersion. */
  static Result<std::unique_ptr<Ledger>> open(const std::filesystem::path& file);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  [[nodiscard]] int schemaVersion() const;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

  /**
   * Runs `body` in one IMMEDIATE transaction: committed when it returns ok, rolled back otherwise.
   * Nested calls join the outer transaction.
   */
  Result<void> transaction(const std::function<Result<void>()>& body);
  /**
   * Runs `body` as one read snapshot (a deferred transaction): every query in it sees the same
   * committed state, while writers of other connections go on (WAL).
   */
  Result<void> readSnapshot(const std::function<Result<void>()>& body);

  Result<void> insertJob(const JobRecord& job);
  Result<void> updateJob(const JobRecord& job);
  /** Updates only when the stored state still equals `expectedState` (compare-and-set); false when it did not. */
  Result<bool> updateJobIfState(const JobRecord& job, std::string_view expectedState);
  Result<std::optional<JobRecord>> job(std::string_view id);
  /** Jobs by creation time, newest first; only the non-terminal ones when `activeOnly`. */
  Result<std::vector<JobRecord>> jobs(bool activeOnly = false);
  /** Resolves a full id or a unique prefix of one. */
  Result<std::string> resolveJobId(std::string_view idOrPrefix);

  Result<void> upsertAttempt(const AttemptRecord& attempt);
  Result<std::optional<AttemptRecord>> attempt(std::string_view jobId, int number);
  Result<std::vector<AttemptRecord>> attempts(std::string_view jobId);
  /** Ended attempts of any job whose instance is not yet confirmed terminated. */
  Result<std::vector<AttemptRecord>> unconfirmedAttempts();

  Result<void> addEvent(const EventRecord& event);
  Result<std::vector<EventRecord>> events(std::string_view jobId);

  Result<void> addSpendSample(const SpendSample& sample);
  Result<std::vector<SpendSample>> spendSamples(std::string_view jobId);

  /** Writes a pending intent; returns its id. */
  Result<std::int64_t> beginIntent(const IntentRecord& intent);
  Result<void> resolveIntent(std::int64_t id, std::string_view outcome, std::string_view detail, std::int64_t atMs);
  Result<std::vector<IntentRecord>> intents(std::string_view jobId);
  Result<std::vector<IntentRecord>> pendingIntents();

  /** `PRAGMA integrity_check` plus the ledger's own invariants; the problems found (empty = consistent). */
  Result<std::vector<std::string>> checkConsistency();

  /** The raw connection, for the price-history tables of the prices feature and for tests. */
  sqlite3* handle() { return m_db; }

 private:
  Ledger(sqlite3* db, std::filesystem::path path);
  Result<void> updateDb(int fromVersion);
  Result<void> exec(std::string_view sql, std::string_view operation);

  sqlite3* m_db = nullptr;
  std::filesystem::path m_path;
  int m_transactionDepth = 0;
};

}  // namespace spotwise::ledger
