#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/planner/CheckpointModel.h"
#include "core/planner/Hazard.h"
#include "core/planner/Simulator.h"
#include "core/pricing/Offer.h"

namespace spotwise::planner {

/** How the user states the work: GPU-hours, or steps × seconds per step. */
enum class WorkUnit { GpuHours, Steps };

/**
 * The work of a training run.
 * GPU-hours are on the chosen GPU model; a machine with N of them is assumed to do them N times as fast
 * (linear scaling). Seconds per step are measured on the chosen machine (all its GPUs together).
 */
struct Workload {
  WorkUnit unit = WorkUnit::GpuHours;
  double gpuHours = 0.0;
  double steps = 0.0;
  double secondsPerStep = 0.0;
};

/** Whether the machine image ships the NVIDIA driver, or installs it at every boot (slower restarts). */
enum class ImageKind { DriverPreinstalled, DriverInstalledAtBoot };

/** A request field, so that a UI can show each validation error next to its field. */
enum class PlanField {
  Work, Steps, SecondsPerStep, GpuCount, Checkpoint, Restart, Interval, RateOverride, Fallback, Deadline, Budget, Runs,
  Move, MaxInstances
};

/** One thing wrong with a request: the field and a sentence saying what is wrong. */
struct FieldError {
  PlanField field = PlanField::Work;
  std::string message;
};

/** Everything the planner needs besides the offers. Plain value type. */
struct PlanRequest {
  Workload work;
  std::string gpuModel;                       ///< offers of this model (normalised, any case)
  int gpuCount = 1;                           ///< offers with exactly this many GPUs
  double checkpointMinutes = 0.0;             ///< C > 0: time to write one checkpoint
  std::optional<double> restartMinutes;       ///< R ≥ 0; unset: defaultRestartMinutes() per provider and image
  ImageKind image = ImageKind::DriverPreinstalled;
  std::optional<double> intervalHours;        ///< τ ≥ C; unset: the recommended interval per offer
  HazardSettings hazard;
  std::optional<int> fallbackAfterPreemptions;  ///< M in [1, 1000]: continue on on-demand after M preemptions
  /// A job's recovery policy (the launch form): K in [1, 1000], after K preemptions on one offer the next instance
  /// goes to the next of planOffer()'s alternatives (jobs::choosePlacement's rule). Ignored without alternatives.
  std::optional<int> moveAfterPreemptions;
  std::optional<int> maxInstances;            ///< a job's maximum attempts, in [1, 1000]: report the share of runs within it
  std::optional<double> deadlineHours;        ///< > 0: report the chance of finishing in time
  std::optional<double> budgetUsd;            ///< > 0: report the chance of staying within budget
  int runs = 100000;                          ///< simulated runs per offer, in [100, 10'000'000]
  std::uint64_t seed = 20261128;              ///< same seed, same results
};

/** Optimum checkpoint intervals in hours; nullopt when λ = 0 (checkpoint only at the end). */
struct IntervalAdvice {
  std::optional<double> young;            ///< √(2C/λ), first order (Young, Daly)
  std::optional<double> dalyHigherOrder;  ///< Daly's higher-order estimate
  std::optional<double> exact;            ///< exact minimum of Daly's expected time
};

/** The plan of one offer. */
struct OfferPlan {
  pricing::Offer offer;
  Hazard hazard;
  RunShape shape;                      ///< W, τ, C, R in hours as planned for this offer
  bool intervalRecommended = true;     ///< false when the user fixed τ
  IntervalAdvice advice;
  std::optional<double> analyticHours;    ///< Daly's expected time (no cap, no fallback); nullopt if unbounded
  std::optional<double> analyticCostUsd;  ///< analyticHours × spot price
  SimulationResult simulation;            ///< expected (mean), P50, P90 of hours and cost, all policies
  std::optional<double> onDemandCostUsd;  ///< W hours on the same machine on-demand, no checkpoints
  std::optional<double> savingsPercent;   ///< (on-demand cost − expected cost) / on-demand cost × 100

  [[nodiscard]] double expectedCostUsd() const { return simulation.costUsd.mean; }
  [[nodiscard]] double expectedHours() const { return simulation.hours.mean; }
};

/** An offer the planner could not plan, and why (no spot price, cannot finish, ...). */
struct SkippedOffer {
  pricing::Offer offer;
  std::string reason;
};

/** A ranking: planned offers by expected cost (cheapest first), and the offers left out. */
struct Plan {
  std::vector<OfferPlan> offers;
  std::vector<SkippedOffer> skipped;
};

/** Every problem with `request`, each naming its field; empty when it can be planned. */
std::vector<FieldError> validateRequest(const PlanRequest& request);

/** The work in wall-clock hours on one machine with `gpuCount` GPUs. InvalidArgument for bad input. */
Result<double> machineWorkHours(const Workload& work, int gpuCount);

/**
 * Default restart overhead in minutes (new instance, boot, driver, restoring the checkpoint), a documented
 * assumption: AWS 6, GCP 5, Azure 8 with a driver-ready image (AWS Deep Learning AMI, GCP Deep Learning VM,
 * Azure's NVIDIA-ready HPC image); 8 more when the driver is installed at boot.
 */
double defaultRestartMinutes(pricing::CloudProvider provider, ImageKind image);

/** The offers a request can plan: its GPU model and count, with a spot price. Catalog order kept. */
std::vector<pricing::Offer> candidateOffers(const std::vector<pricing::Offer>& offers, const PlanRequest& request);

/**
 * Plans one offer: its hazard, the recommended (or given) interval, Daly's analytic expectation and the
 * Monte Carlo distribution. Errors: InvalidArgument for a bad request; FailedPrecondition when the offer
 * cannot be planned (no spot price, a segment that never fits in GCP preemptible's 24 h, or a rate so high
 * that the run is not expected to finish). Pure and thread-safe (if request.hazard.history is): callers may
 * plan offers in parallel. Deterministic: the seed is mixed with the offer's key.
 */
Result<OfferPlan> planOffer(const pricing::Offer& offer, const PlanRequest& request);

/**
 * Plans one offer as a job with request.moveAfterPreemptions would run it: after K preemptions on one offer the
 * next instance goes to the first of [offer, alternatives...] preempted fewer than K times (or else the one
 * preempted least), each with its own hazard and spot price; `alternatives` must be in the order the job would
 * try them (jobs::placementOrder) and have spot prices, the same provider and GPU count (InvalidArgument
 * otherwise). The checkpoint interval is the offer's (given or recommended); at most
 * SimulationSpec::kMaxAlternatives alternatives are used, the first ones. Same errors as planOffer().
 */
Result<OfferPlan> planOffer(const pricing::Offer& offer, const PlanRequest& request, const std::vector<pricing::Offer>& alternatives);

/**
 * Plans every offer in `offers` (already filtered, e.g. by candidateOffers()) and ranks them by expected cost.
 * Errors: InvalidArgument for a bad request (the first field error) or an empty offer set. Offers that cannot
 * be planned go to Plan::skipped with their reason. Runs on the calling thread.
 */
Result<Plan> planOffers(const std::vector<pricing::Offer>& offers, const PlanRequest& request);

/** The ranking order: expected cost, then P90 cost, then the offer's key (stable across runs). */
bool rankedBefore(const OfferPlan& a, const OfferPlan& b);

}  // namespace spotwise::planner
