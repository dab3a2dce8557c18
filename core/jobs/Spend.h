#pragma once

#include <cstdint>
#include <string_view>

namespace spotwise::jobs {

/** How a provider turns instance running time into billed time. */
struct BillingGranularity {
  std::int64_t incrementSeconds = 1;  ///< billed in whole increments of this many seconds
  std::int64_t minimumSeconds = 0;    ///< any started instance is billed at least this long
  bool roundUp = true;                ///< partial increments: rounded up (true) or dropped (false)
};

/**
 * The billing rule of a provider's Linux GPU VMs ("aws", "gcp", "azure", "local"; unknown ids get
 * AWS's rule, the most common). Spot and on-demand are billed alike on all three.
 */
BillingGranularity billingGranularity(std::string_view provider);

/** Seconds billed for an instance that ran `seconds` (0 when it never ran). */
double billedSeconds(const BillingGranularity& rule, double seconds);

/** Cost of one attempt: billedSeconds × price per hour / 3600. */
double attemptCost(std::string_view provider, double runSeconds, double pricePerHour);

}  // namespace spotwise::jobs

#include <vector>

#include "core/ledger/Ledger.h"

namespace spotwise::jobs {

/** What a job has cost so far. */
struct JobSpend {
  double totalUsd = 0.0;
  double burnUsdPerHour = 0.0;          ///< sum of the prices in effect of the attempts running now (× time-lapse)
  std::vector<double> perAttemptUsd;    ///< same order as the attempts given
  std::vector<double> perAttemptSeconds;///< running time (not billed time) of each attempt
};

/** The price in effect for `attempt` at `atMs`: its launch price, or the last change at or before then. */
double priceAt(const ledger::AttemptRecord& attempt, std::int64_t atMs);

/**
 * Cost of one attempt billed from startMs until `endMs`: each interval at the price in effect then
 * (attempt.priceChanges), running seconds × attempt.timeLapse (a Local time-lapse rehearsal bills
 * simulated seconds), with the provider's granularity (what it adds is charged at the last price).
 */
double attemptCost(const ledger::AttemptRecord& attempt, std::int64_t endMs);

/**
 * Spend of a job at `nowMs`: each attempt from launch accepted (startMs) until its instance was
 * confirmed terminated (goneMs; now while it is not), at its price, with its provider's billing
 * granularity, at the price in effect in each interval. Counting from the accepted launch rather than the instance's first running second
 * errs on the side of the budget. Attempts refused at launch cost 0.
 */
JobSpend computeSpend(const std::vector<ledger::AttemptRecord>& attempts, std::int64_t nowMs);

}  // namespace spotwise::jobs
