#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/jobs/JobSpec.h"
#include "core/planner/Planner.h"
#include "core/pricing/Offer.h"

namespace spotwise::ui {

/** What the launch form opens with: an offer from Prices, or a planned offer from the Planner. */
struct LaunchPrefill {
  pricing::Offer offer;  ///< the catalog offer: its prices and interruption band drive the estimate
  bool spot = true;      ///< the market: spot, else on-demand
  /**
   * The planner inputs behind the estimate: work, checkpoint time, restart, risk, fallback, budget, seed.
   * From the Planner, its request; from Prices, one sized for the example workload.
   */
  planner::PlanRequest request;
  double intervalHours = 1.0;              ///< checkpoint interval: the one planned for this offer
  std::optional<double> p90CostUsd;        ///< from a plan: sizes the default budget
  std::optional<double> p90Hours;          ///< from a plan: sizes the default maximum runtime
  bool fromPlanner = false;
  /**
   * Offers the job runner may move the job to after `recovery.moveAfterPreemptions` preemptions (what its
   * jobs::AlternativeOffers gives the controller): the estimate simulates those moves with each offer's own rate
   * and price. Empty: the job stays on its offer, as it does when the runner knows no alternatives.
   */
  std::vector<pricing::Offer> alternatives;
};

/** Prefill for an offer row of the Prices page: the example workload, the recommended checkpoint interval. */
LaunchPrefill prefillFromOffer(const pricing::Offer& offer);
/** Prefill for a Planner result: its work, interval, fallback, budget and risk settings. */
LaunchPrefill prefillFromPlan(const planner::OfferPlan& plan, const planner::PlanRequest& request);

/**
 * Prefill for a job file opened from outside (`spotwise job.spotwise.json`, the file manager): the offer it
 * names, at the prices it states, and its checkpoint interval. The form then takes the spec itself (setSpec).
 */
LaunchPrefill prefillFromJobSpec(const jobs::JobSpec& spec);

/**
 * The bundled example workload (resources/examples/train.py, a Qt resource of spotwise_resources, so it is
 * there installed or not) written out as `<Local root>/examples` when missing or outdated. NotFound when the
 * binary does not link the resources; PermissionDenied when it cannot be written.
 */
Result<std::filesystem::path> exampleCodeFolder();
/** The example's command: about two minutes of training that checkpoints every 50 steps. */
inline constexpr std::string_view kExampleCommand = "python3 train.py --steps 1200 --step-seconds 0.1 --checkpoint-every 50";
/** How long kExampleCommand trains without interruptions, in hours. */
inline constexpr double kExampleHours = 1200 * 0.1 / 3600.0;

/** local://<local root>/bucket: the Local provider's default bucket (the one "Preempt now" acts on). */
std::string defaultLocalStorage();
/** "s3://bucket/prefix" style example for a provider ("aws", "gcp", "azure"), for placeholders. */
std::string storageExample(std::string_view provider);

/** The offer a job runs on: `offer` on its cloud, or rehearsed on Local at the same price. */
jobs::JobOffer jobOfferFor(const pricing::Offer& offer, bool spot, bool rehearse);
/**
 * The catalog machine a job file's offer names (provider, place, type, GPUs), without prices. A provider the
 * catalog does not know ("local") is read as AWS, for the machine a Local rehearsal keeps.
 */
pricing::Offer machineOfJobOffer(const jobs::JobOffer& offer);

}  // namespace spotwise::ui
