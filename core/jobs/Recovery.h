#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/jobs/JobSpec.h"
#include "core/ledger/Ledger.h"

namespace spotwise::jobs {

/** Where one attempt runs. */
struct Placement {
  std::string region;
  std::string zone;
  std::string instanceType;
  bool spot = true;
  double pricePerHour = 0.0;

  /** Same region, type and market; zones count only when both name one (a provider-chosen zone is no other place). */
  [[nodiscard]] bool samePlaceAs(const Placement& other) const {
    return region == other.region && (zone.empty() || other.zone.empty() || zone == other.zone) &&
           instanceType == other.instanceType && spot == other.spot;
  }
};

/**
 * Other offers a job may move to after preemptions or capacity errors: same provider, same GPU
 * model and count (the controller asks once per relaunch). Empty when none are known.
 */
using AlternativeOffers = std::function<std::vector<Placement>(const JobSpec&)>;

/** The job's own offer as a placement. */
Placement primaryPlacement(const JobSpec& spec);

/**
 * The placements choosePlacement() chooses from, most preferred first: the job's offer, then the alternatives
 * cheapest first (sameRegionFirst), or all of them by price. Alternatives of the other market, at the job's
 * own placement, or repeated, are left out. Pure; thread-safe. The planner's estimate of a job simulates
 * moves over this order (planner::planOffer with alternatives).
 */
std::vector<Placement> placementOrder(const JobSpec& spec, const std::vector<Placement>& alternatives);

/**
 * Where the next attempt runs, per the recovery policy (DESIGN.md "Recovery strategy"):
 * on-demand once `onDemandAfterPreemptions` preemptions happened (when set); otherwise the job's own
 * offer first (sameRegionFirst) until `moveAfterPreemptions` preemptions happened there, then the
 * next-cheapest alternative with fewer; a placement whose latest launch was refused for capacity is
 * skipped while another one is left. Pure; thread-safe.
 */
Placement choosePlacement(const JobSpec& spec, const std::vector<ledger::AttemptRecord>& attempts,
                          const std::vector<Placement>& alternatives);

/**
 * Back-off before the next launch after `failures` capacity refusals in a row: truncated exponential
 * (base × 2^(failures-1), at most maxMs) with "equal jitter" (a uniform draw in [½, 1] of it), so
 * many jobs refused at once do not retry in lockstep.
 */
std::int64_t capacityBackoffMs(int failures, std::int64_t baseMs, std::int64_t maxMs, std::mt19937_64& rng);

}  // namespace spotwise::jobs
