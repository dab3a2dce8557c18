#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/Result.h"
#include "core/pricing/Offer.h"

namespace spotwise::planner {

/**
 * Which point of a published (or assumed) interruption range the planner uses:
 * the low end, the midpoint, or the high end. See hazardModelHelp() for the exact rules.
 */
enum class RiskPoint { Optimistic, Typical, Pessimistic };

/** "optimistic", "typical", "pessimistic". */
std::string_view riskPointId(RiskPoint point);
/** Parses the ids above (any case); nullopt otherwise. */
std::optional<RiskPoint> parseRiskPoint(std::string_view text);

/** GCP sells the same capacity as Spot VMs (no time limit) and preemptible VMs (stopped after 24 h). */
enum class GcpVmKind { Spot, Preemptible };

/** Where an offer's preemption rate came from, strongest first in the order the planner applies them. */
enum class HazardSource {
  UserOverride,   ///< the user typed a rate (for this offer, or for every offer)
  Observed,       ///< the user's own preemption history for this offer (the job ledger)
  PublishedBand,  ///< the provider's published band (AWS Spot Advisor, Azure eviction rate)
  ProviderDefault ///< nothing published or observed: a documented assumption per provider
};

/** "user override", "observed", "published band", "assumed default". */
std::string_view hazardSourceName(HazardSource source);

/** The user's own record for one offer: how many preemptions over how many instance-hours. */
struct ObservedPreemptions {
  int preemptions = 0;
  double instanceHours = 0.0;
};

/** The preemption model of one offer: an exponential hazard, plus GCP preemptible's hard 24 h cap. */
struct Hazard {
  double ratePerHour = 0.0;              ///< λ: preemptions per instance-hour, in [0, ∞)
  HazardSource source = HazardSource::ProviderDefault;
  bool assumption = false;               ///< true when nothing published or observed backs the rate
  std::optional<double> maxUptimeHours;  ///< GCP preemptible: every VM is stopped after 24 h
  int observations = 0;                  ///< preemptions behind an Observed rate
  double observedHours = 0.0;            ///< instance-hours behind an Observed rate
  std::string basis;                     ///< one line saying how the rate was derived, for tooltips and --json
};

/**
 * What the user chose about preemption risk. Precedence per offer: an override for that offer,
 * then the override for every offer, then the observed history, then the published band, then the
 * provider default. Observed history is weighed with the band's (or default's) rate as 24
 * instance-hours of evidence: λ = (preemptions + λ₀·24) / (instance-hours + 24), so a short clean
 * history never reads as "never preempted" and a long one decides the rate.
 */
struct HazardSettings {
  RiskPoint risk = RiskPoint::Typical;
  GcpVmKind gcpVmKind = GcpVmKind::Spot;
  std::optional<double> overrideRatePerHour;      ///< applies to every offer
  std::map<std::string, double> offerOverrides;   ///< by offerKey(): one offer only
  /**
   * The user's preemption history per offer (planner::ObservedHistory::hook() reads it from the job
   * ledger). Must be safe to call from several threads at once.
   */
  std::function<std::optional<ObservedPreemptions>(const pricing::Offer&)> history;
};

/** "provider/region/zone/instanceType": identifies an offer for overrides and history. */
std::string offerKey(const pricing::Offer& offer);

/** Hours in an average month (365 × 24 / 12), the period of AWS's and Azure's monthly bands. */
inline constexpr double kHoursPerMonth = 730.0;

/**
 * The hourly hazard λ of an exponential lifetime that is interrupted with probability `fraction`
 * within `periodHours`: λ = −ln(1 − fraction) / periodHours. `fraction` in [0, 1).
 */
double hourlyRateFromFraction(double fraction, double periodHours);

/** A monthly interruption range in percent, as published or assumed. */
struct PercentRange {
  double lowPercent = 0.0;
  double highPercent = 0.0;
};

/**
 * The range the planner reads from a published band: the band's own bounds, with two documented
 * adjustments (a low end of 0 becomes 1 %, an open top band like AWS's ">20%" becomes [20, 30] %).
 * InvalidArgument when the band's numbers are negative, not finite, or reversed.
 */
Result<PercentRange> effectiveBandRange(const pricing::InterruptionBand& band);

/** The point of a range the risk choice selects: low end, midpoint, or high end. */
double pointOfRange(const PercentRange& range, RiskPoint risk);

/**
 * The hazard of one offer under `settings`. Errors: InvalidArgument when an override is negative or
 * not finite, when the history has negative counts or no instance-hours, or when a band is malformed.
 * Thread-safe if settings.history is.
 */
Result<Hazard> resolveHazard(const pricing::Offer& offer, const HazardSettings& settings);

/**
 * How preemption risk is modelled, in plain words: the same text the Planner page shows as help and
 * `spotwise-cli plan --help` prints. The one place these assumptions are written down for users.
 */
std::string hazardModelHelp();

}  // namespace spotwise::planner
