#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "core/common/Result.h"
#include "core/planner/Hazard.h"
#include "core/pricing/Offer.h"

namespace spotwise::ledger {
class Ledger;
}

namespace spotwise::planner {

/**
 * The user's own preemption record per offer, learned from the job ledger: for every spot attempt
 * that started (billing began), its instance-hours (start → end, or → now while it runs) and
 * whether it ended "preempted". On-demand attempts and launches that never started do not count.
 *
 * An offer with a zone gets the attempts of that zone when there are any, else (like a
 * region-level offer) those of every zone of its region: catalogs may name zones by ID (use1-az2)
 * where EC2 reports the account's zone name (us-east-1a). A plain value: copy it into HazardSettings::history with hook() (thread-safe to call).
 */
class ObservedHistory {
 public:
  /**
   * Reads every attempt of every job in one read snapshot of `ledger`. `nowMs` (Unix ms) closes the
   * attempts still running. Errors: the ledger's, naming "ObservedHistory".
   */
  static Result<ObservedHistory> fromLedger(ledger::Ledger& ledger, std::int64_t nowMs);

  /** Counts one attempt (tests, and fromLedger). Times in Unix ms; endMs 0 = still running (closed at nowMs). */
  void add(std::string_view provider, std::string_view region, std::string_view zone, std::string_view instanceType,
           std::int64_t startMs, std::int64_t endMs, bool preempted, std::int64_t nowMs);

  /** The record behind `offer`, or nullopt when the ledger has no started spot attempt of it. */
  [[nodiscard]] std::optional<ObservedPreemptions> forOffer(const pricing::Offer& offer) const;
  /** Started spot attempts counted. */
  [[nodiscard]] int attempts() const { return m_attempts; }
  /** For HazardSettings::history: a copy of this record, safe to call from several threads. */
  [[nodiscard]] std::function<std::optional<ObservedPreemptions>(const pricing::Offer&)> hook() const;

 private:
  // (provider id, region, zone, instance type) → record
  std::map<std::tuple<std::string, std::string, std::string, std::string>, ObservedPreemptions> m_byZone;
  int m_attempts = 0;
};

}  // namespace spotwise::planner
