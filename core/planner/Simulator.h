#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/common/Result.h"
#include "core/planner/CheckpointModel.h"

namespace spotwise::planner {

/**
 * A small, fast, seeded generator (xoshiro256**, state filled by splitmix64 from the seed) with its own
 * uniform and exponential draws, so a seed gives the same runs with every compiler and standard library
 * (std::exponential_distribution's output is implementation-defined). Not thread-safe: one per thread.
 */
class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next();
  /** Uniform in (0, 1]. */
  double uniformPositive();
  /** Exponential with the given rate (> 0). */
  double exponential(double rate);

 private:
  std::uint64_t m_s[4];
};

/** splitmix64 of `value`: derives independent per-offer seeds from one user seed. */
std::uint64_t mixSeed(std::uint64_t value);

/** Another offer a run may move to (a job's "move after K preemptions" policy): its hazard and spot price. */
struct SimulationPlace {
  double ratePerHour = 0.0;              ///< λ ≥ 0
  std::optional<double> maxUptimeHours;  ///< GCP preemptible: the VM is stopped at this uptime
  double spotUsdPerHour = 0.0;
};

/**
 * What to simulate: one offer's run shape, hazard and prices, and the policies that apply.
 * The run starts on this offer (ratePerHour, maxUptimeHours, spotUsdPerHour). With moveAfterPreemptions K and
 * `alternatives`, each new instance goes where jobs::choosePlacement() would put it: the first place, in the
 * order [this offer, alternatives...], preempted fewer than K times, or else the one preempted least (first on
 * ties); once `fallbackAfterPreemptions` M preemptions happened in all, on-demand at this offer's price.
 */
struct SimulationSpec {
  RunShape shape;
  double ratePerHour = 0.0;                  ///< λ ≥ 0
  std::optional<double> maxUptimeHours;      ///< GCP preemptible: the VM is stopped at this uptime
  double spotUsdPerHour = 0.0;
  std::optional<double> onDemandUsdPerHour;  ///< needed by the fallback policy
  std::optional<int> fallbackAfterPreemptions;  ///< M ≥ 1: after the M-th preemption, restart on on-demand
  std::optional<int> moveAfterPreemptions;      ///< K ≥ 1: after K preemptions on one place, move to the next
  std::vector<SimulationPlace> alternatives;    ///< at most kMaxAlternatives, in the order the job tries them
  std::optional<int> maxInstances;              ///< N ≥ 1: to report the share of runs needing at most N instances
  std::optional<double> deadlineHours;       ///< to report the share of runs finishing in time
  std::optional<double> budgetUsd;           ///< to report the share of runs within budget
  int runs = 100000;
  std::uint64_t seed = 1;

  static constexpr std::size_t kMaxAlternatives = 31;
};

/** Mean and nearest-rank percentiles of a simulated quantity. */
struct Distribution {
  double mean = 0.0;
  double p50 = 0.0;
  double p90 = 0.0;
};

/** The outcome of `runs` simulated runs. */
struct SimulationResult {
  Distribution hours;
  Distribution costUsd;
  double meanPreemptions = 0.0;
  double fallbackShare = 0.0;                 ///< share of runs that ended on on-demand
  double movedShare = 0.0;                    ///< share of runs that ran on an alternative at least once
  std::optional<double> instancesProbability; ///< share of runs needing at most maxInstances instances
  std::optional<double> deadlineProbability;  ///< share of runs with hours ≤ deadline
  std::optional<double> budgetProbability;    ///< share of runs with cost ≤ budget
  std::optional<double> targetProbability;    ///< share of runs meeting the deadline and the budget (those set)
  int runs = 0;
};

/**
 * Simulates `spec.runs` runs: exponential preemptions at λ on each instance (including during restart),
 * the 24 h uptime cap when set (the VM is stopped; that counts as a preemption), work lost since the
 * last checkpoint, restarts of R, moves to the alternatives after K preemptions on one place, and the
 * on-demand fallback after M preemptions. Every hour is billed at the price of the machine it ran on.
 * Deterministic for a given spec (seed included).
 *
 * Exact and fast: the runs never preempted (most of them, usually) are not simulated one by one. One
 * exponential draw E at λ, as if the first instance's clock ran on across runs of T0 (the failure-free time),
 * gives both how many runs in a row are not preempted, ⌊E/T0⌋ (geometric: P(≥ j) = e^(−λ·T0·j)), and the
 * first lifetime of the run after them, E − ⌊E/T0⌋·T0 (by memorylessness, the lifetime conditioned on ending
 * before T0, independent of the count). The runs so drawn have exactly the distribution of runs simulated one
 * by one; only the random stream differs.
 * Errors: InvalidArgument for a spec outside its documented ranges; FailedPrecondition when a segment
 * cannot fit in the uptime cap, or when a run exceeds the event limit (the run is not expected to end).
 * Pure and thread-safe: callers may run many offers in parallel.
 */
Result<SimulationResult> simulate(const SimulationSpec& spec);

}  // namespace spotwise::planner
