#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud/Provider.h"
#include "core/common/Result.h"
#include "core/jobs/Clock.h"
#include "core/jobs/JobSpec.h"
#include "core/jobs/JobState.h"
#include "core/jobs/Recovery.h"
#include "core/ledger/Ledger.h"

namespace spotwise::jobs {

/**
 * Puts a job's code in storage and writes each attempt's bootstrap (core/agent implements it; tests
 * may use their own). `jobPrefix` is "<storage prefix>/<job id>" inside the provider's bucket.
 */
class JobBootstrapper {
 public:
  virtual ~JobBootstrapper() = default;
  /** Packs spec.codeDir and uploads `<jobPrefix>/code.tar.gz`. Idempotent. */
  virtual Result<void> package(const JobSpec& spec, std::string_view jobId, std::string_view jobPrefix,
                               cloud::ObjectStore& store, const cloud::CallOptions& options) = 0;
  /**
   * The user-data / startup-script that starts the agent for `attempt`. `deadlineUnix` is the
   * dead-man's switch: when the budget or the maximum runtime runs out even if the controller is
   * never heard from again.
   */
  virtual Result<std::string> startupScript(const JobSpec& spec, std::string_view jobId, int attempt,
                                            std::string_view jobPrefix, const cloud::InstanceAccess& access,
                                            std::int64_t deadlineUnix) = 0;
};

/** A published spot price: USD per hour, in effect since `sinceMs` (Unix ms; 0 when not said). */
struct SpotPriceQuote {
  double pricePerHour = 0.0;
  std::int64_t sinceMs = 0;
};

/** Finds the Provider (compute + the job's bucket) for a spec, and lists all of them for reconciliation. */
class ProviderDirectory {
 public:
  virtual ~ProviderDirectory() = default;
  virtual Result<cloud::Provider*> providerFor(const JobSpec& spec) = 0;
  /** Every provider the user has (each listed once) — reconciliation asks each of them. */
  virtual std::vector<cloud::Provider*> allProviders() = 0;
  /**
   * The spot price in effect now for a running attempt's instance type in its zone, and since
   * when, where the provider publishes one (AWS DescribeSpotPriceHistory); nullopt when unknown.
   */
  virtual Result<std::optional<SpotPriceQuote>> currentSpotPrice(const JobSpec& /*spec*/,
                                                                 const ledger::AttemptRecord& /*attempt*/) {
    return std::optional<SpotPriceQuote>();
  }
  /** Billed seconds per real second of attempts launched for `spec`: 1, or a Local rehearsal's time-lapse. */
  virtual double billingTimeLapse(const JobSpec& /*spec*/) { return 1.0; }
};

/** Timing and limits of the controller. Milliseconds. */
struct ControllerConfig {
  std::int64_t pollIntervalMs = 30'000;
  std::int64_t bootTimeoutMs = std::int64_t{15} * 60'000;      ///< launch accepted → first heartbeat
  std::int64_t heartbeatTimeoutMs = std::int64_t{5} * 60'000;  ///< a running agent's status.json older than this: silent
  std::int64_t terminationLatencyMs = 60'000;    ///< billing that may still run after a stop request (budget margin)
  std::int64_t capacityBackoffBaseMs = 15'000;
  std::int64_t capacityBackoffMaxMs = std::int64_t{10} * 60'000;
  std::int64_t callTimeoutMs = 60'000;           ///< deadline of each provider call
  std::uint64_t seed = 0;                        ///< jitter and job ids; 0 = from std::random_device
  /** Spot attempts: the price in effect is asked for every this many polls (0 = never); changes go to the ledger. */
  int priceCheckEveryPolls = 10;
};

/** An instance tagged by Spotwise that no live job owns. */
struct Orphan {
  std::string provider;
  cloud::Instance instance;
  std::string reason;            ///< "unknown job", "job Stopped", "duplicate of attempt 2", ...
  double costSoFarUsd = 0.0;     ///< launch → now at the price the ledger knows (0 when unknown)
};

/** What reconcile() found and did. */
struct ReconcileReport {
  std::vector<std::string> reattached;     ///< job ids whose live instance was found (and adopted when unrecorded)
  std::vector<Orphan> orphans;             ///< left for the user to terminate (terminateOrphans)
  std::vector<std::string> cleaned;        ///< instances of ended attempts of live jobs, terminated
  int resolvedIntents = 0;
};

/** What one tick() did. */
struct TickReport {
  int activeJobs = 0;
  std::vector<std::string> transitions;  ///< "job-…: Running → Preempted (PreemptionDetected)"
  std::vector<std::string> errors;       ///< provider or storage errors met (the job is retried next tick)
};

/**
 * Supervises jobs: Draft → … → Succeeded/Failed/Stopped/BudgetExceeded (JobState.h).
 *
 * All state is in the ledger, written before and after every cloud mutation (intents), so a
 * controller killed at any point and started again (reconcile(), then tick()) neither loses a
 * job nor launches an attempt twice. tick() is one poll cycle: it packages and launches what is
 * due, then describes the instances of all supervised jobs in one call per provider and region and
 * reads each job's status.json once. It never sleeps; the caller (CLI loop, UI timer) calls it every
 * config.pollIntervalMs on the injected clock.
 * Thread-compatible: one thread at a time. Several processes may share the ledger (e.g. `spotwise-cli
 * stop` while the app supervises): job rows are re-read inside each write transaction.
 */
class Controller {
 public:
  Controller(ledger::Ledger& ledger, ProviderDirectory& providers, JobBootstrapper& bootstrapper, Clock& clock,
             ControllerConfig config = {}, AlternativeOffers alternatives = {});

  /** Validates the spec and records the job as Draft; the next tick() starts it. Returns the job id. */
  Result<std::string> submit(const JobSpec& spec);
  /**
   * Asks for the job to stop: the controller terminates its instance, waits for the provider to
   * confirm, then records Stopped. A job that has no instance yet stops at once.
   */
  Result<void> requestStop(std::string_view jobId);
  /**
   * Start-up reconciliation: lists every Spotwise instance of every provider (listByTag), adopts
   * those of live jobs' current attempts (including launches whose outcome the ledger never saw),
   * terminates leftovers of ended attempts of live jobs, and reports orphans with their cost.
   */
  Result<ReconcileReport> reconcile();
  /** Terminates the given orphans (after the user confirmed). */
  Result<void> terminateOrphans(const std::vector<Orphan>& orphans);
  /** One poll cycle over every live job. */
  Result<TickReport> tick();
  /** Ticks on the clock every pollIntervalMs until `jobId` (or, when empty, every job) has ended or `until` returns true. */
  Result<void> runUntilDone(std::string_view jobId, const std::function<bool(const TickReport&)>& until = {});

  /**
   * The storage prefix of a job inside the provider's store: "<storage prefix>/<job id>" (or
   * "<job id>"); for az://account/container/prefix the store is the container, so "<prefix>/<job id>".
   */
  static std::string jobPrefix(const JobSpec& spec, std::string_view jobId);

  [[nodiscard]] const ControllerConfig& config() const { return m_config; }

 private:
  struct Live;
  Result<void> advanceWithoutInstance(ledger::JobRecord job, const JobSpec& spec, TickReport& report);
  Result<void> launchAttempt(const ledger::JobRecord& job, const JobSpec& spec, cloud::Provider& provider,
                             TickReport& report);
  Result<void> superviseInstance(Live& live, TickReport& report);
  Result<void> decideAfterPreemption(const std::string& jobId, const JobSpec& spec, cloud::Provider& provider,
                                     TickReport& report);
  Result<void> requestTermination(const ledger::JobRecord& job, const ledger::AttemptRecord& attempt,
                                  cloud::Provider& provider, TickReport& report);
  /** Ends the attempt; `goneAtMs` > 0: its instance is confirmed terminated, billing stopped then. */
  Result<void> closeAttempt(ledger::AttemptRecord attempt, std::string_view cause, std::int64_t goneAtMs);
  /** Re-reads the job inside a transaction, lets `change` edit it, writes it back. */
  Result<void> withJob(const std::string& jobId, const std::function<Result<void>(ledger::JobRecord&)>& change);
  /** Applies `event` to `job` (state machine) and logs it; false when the event is not allowed now. */
  Result<bool> apply(ledger::JobRecord& job, JobEvent event, std::string_view message, TickReport* report);
  Result<void> note(const ledger::JobRecord& job, std::string_view message);
  cloud::CallOptions callOptions() const;

  ledger::Ledger& m_ledger;
  ProviderDirectory& m_providers;
  JobBootstrapper& m_bootstrapper;
  Clock& m_clock;
  ControllerConfig m_config;
  AlternativeOffers m_alternatives;
  std::mt19937_64 m_rng;
  Result<void> followSpotPrice(Live& live, TickReport& report);

  std::map<std::string, std::int64_t> m_lastSpendSampleMs;
  std::map<std::string, int> m_pollsSincePriceCheck;
  std::vector<std::pair<cloud::Provider*, std::string>> m_terminatedThisTick;
};

/** A new job id: "job-" + 12 lowercase hex digits (a valid tag value, path segment and DNS label). */
std::string newJobId(std::mt19937_64& rng);

}  // namespace spotwise::jobs
