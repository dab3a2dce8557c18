#include "core/planner/Hazard.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace spotwise::planner {

namespace {

// ---- The assumptions, in one place (hazardModelHelp() below explains them to users) ----

// Offers with nothing published or observed. Google has described preemption rates of preemptible VMs of
// roughly 5–15 % of VMs per day (seven-day average, per project); no cloud publishes a per-machine figure
// for GPU spot capacity without a band. We assume that same daily range for all three providers, so that
// an assumption never decides the ranking between clouds, and it is conservative next to the literal
// reading of AWS's monthly bands (checkpoints every few hours rather than every day).
constexpr PercentRange kAwsDefaultDaily{5.0, 15.0};
constexpr PercentRange kAzureDefaultDaily{5.0, 15.0};
constexpr PercentRange kGcpDefaultDaily{5.0, 15.0};
constexpr double kHoursPerDay = 24.0;
// GCP preemptible VMs are always stopped after 24 hours.
constexpr double kGcpPreemptibleMaxUptimeHours = 24.0;
// How many instance-hours of evidence the published or assumed rate counts for against observed history.
constexpr double kPriorWeightHours = 24.0;
// No band promises zero interruptions: a published low end of 0 % is read as 1 %.
constexpr double kLowestBandFloorPercent = 1.0;
// An open top band (AWS ">20%", published as 20–100) is read as 10 points wide: [20, 30] %.
constexpr double kOpenBandWidthPercent = 10.0;

std::string format(const char* pattern, double a, double b = 0.0, double c = 0.0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, pattern, a, b, c);
  return buf;
}

std::string rateText(double ratePerHour) {
  if (ratePerHour <= 0.0) return "0/h (no preemptions)";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3g/h (one per %.0f instance-hours)", ratePerHour, 1.0 / ratePerHour);
  return buf;
}

bool validPercent(double v) { return std::isfinite(v) && v >= 0.0 && v < 100.0 + 1e-9; }

Hazard fromRange(const PercentRange& range, double periodHours, RiskPoint risk, HazardSource source,
                 std::string what) {
  const double percent = pointOfRange(range, risk);
  Hazard h;
  h.ratePerHour = hourlyRateFromFraction(percent / 100.0, periodHours);
  h.source = source;
  h.assumption = source == HazardSource::ProviderDefault;
  h.basis = what + ", " + std::string(riskPointId(risk)) + " point " + format("%.1f %%", percent) + " per " +
            (periodHours == kHoursPerDay ? "day" : "month") + " → " + rateText(h.ratePerHour);
  return h;
}

}  // namespace

std::string_view riskPointId(RiskPoint point) {
  switch (point) {
    case RiskPoint::Optimistic: return "optimistic";
    case RiskPoint::Typical: return "typical";
    case RiskPoint::Pessimistic: return "pessimistic";
  }
  return "typical";
}

std::optional<RiskPoint> parseRiskPoint(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (RiskPoint p : {RiskPoint::Optimistic, RiskPoint::Typical, RiskPoint::Pessimistic}) {
    if (lower == riskPointId(p)) return p;
  }
  return std::nullopt;
}

std::string_view hazardSourceName(HazardSource source) {
  switch (source) {
    case HazardSource::UserOverride: return "user override";
    case HazardSource::Observed: return "observed";
    case HazardSource::PublishedBand: return "published band";
    case HazardSource::ProviderDefault: return "assumed default";
  }
  return "assumed default";
}

std::string offerKey(const pricing::Offer& offer) {
  return std::string(pricing::providerId(offer.provider)) + "/" + offer.region + "/" + offer.zone + "/" +
         offer.instanceType;
}

double hourlyRateFromFraction(double fraction, double periodHours) {
  return -std::log1p(-fraction) / periodHours;
}

Result<PercentRange> effectiveBandRange(const pricing::InterruptionBand& band) {
  if (!validPercent(band.minMonthlyPercent) || !validPercent(band.maxMonthlyPercent) ||
      band.maxMonthlyPercent < band.minMonthlyPercent) {
    return makeError(ErrorCode::InvalidArgument,
                     "InterruptionBand: band \"" + band.label + "\" has an invalid range " +
                         format("[%g, %g] %%", band.minMonthlyPercent, band.maxMonthlyPercent));
  }
  PercentRange range{band.minMonthlyPercent, band.maxMonthlyPercent};
  const bool open = range.highPercent >= 100.0 - 1e-9 || range.highPercent <= range.lowPercent;
  if (open) range.highPercent = range.lowPercent + kOpenBandWidthPercent;
  range.lowPercent = std::max(range.lowPercent, kLowestBandFloorPercent);
  range.highPercent = std::max(range.highPercent, range.lowPercent);
  return range;
}

double pointOfRange(const PercentRange& range, RiskPoint risk) {
  switch (risk) {
    case RiskPoint::Optimistic: return range.lowPercent;
    case RiskPoint::Typical: return (range.lowPercent + range.highPercent) / 2.0;
    case RiskPoint::Pessimistic: return range.highPercent;
  }
  return range.highPercent;
}

Result<Hazard> resolveHazard(const pricing::Offer& offer, const HazardSettings& settings) {
  Hazard hazard;
  const auto checkRate = [](double rate, const std::string& what) -> Result<void> {
    if (!std::isfinite(rate) || rate < 0.0) {
      return makeError(ErrorCode::InvalidArgument,
                       "Plan: " + what + " must be a number in [0, ∞) preemptions per hour, got " + format("%g", rate));
    }
    return {};
  };

  const std::string key = offerKey(offer);
  if (const auto it = settings.offerOverrides.find(key); it != settings.offerOverrides.end()) {
    if (auto ok = checkRate(it->second, "the preemption rate for " + key); !ok) return ok.error();
    hazard.ratePerHour = it->second;
    hazard.source = HazardSource::UserOverride;
    hazard.basis = "set by you for this offer: " + rateText(hazard.ratePerHour);
  } else if (settings.overrideRatePerHour) {
    if (auto ok = checkRate(*settings.overrideRatePerHour, "the preemption rate"); !ok) return ok.error();
    hazard.ratePerHour = *settings.overrideRatePerHour;
    hazard.source = HazardSource::UserOverride;
    hazard.basis = "set by you for every offer: " + rateText(hazard.ratePerHour);
  } else if (offer.interruption) {
    auto range = effectiveBandRange(*offer.interruption);
    if (!range) return range.error();
    const std::string publisher = offer.provider == pricing::CloudProvider::Aws     ? "AWS Spot Advisor band"
                                  : offer.provider == pricing::CloudProvider::Azure ? "Azure eviction band"
                                                                                    : "published band";
    hazard = fromRange(*range, kHoursPerMonth, settings.risk, HazardSource::PublishedBand,
                       publisher + " \"" + offer.interruption->label + "\"" +
                           format(" read as %g–%g %%", range->lowPercent, range->highPercent));
  } else {
    switch (offer.provider) {
      case pricing::CloudProvider::Aws:
        hazard = fromRange(kAwsDefaultDaily, kHoursPerDay, settings.risk, HazardSource::ProviderDefault,
                           "assumed: no Spot Advisor band in the catalog, 5–15 % of instances");
        break;
      case pricing::CloudProvider::Azure:
        hazard = fromRange(kAzureDefaultDaily, kHoursPerDay, settings.risk, HazardSource::ProviderDefault,
                           "assumed: no eviction band in the catalog, 5–15 % of VMs");
        break;
      case pricing::CloudProvider::Gcp:
        hazard = fromRange(kGcpDefaultDaily, kHoursPerDay, settings.risk, HazardSource::ProviderDefault,
                           "assumed: GCP publishes no rate, 5–15 % of VMs");
        break;
    }
  }
  if (hazard.source != HazardSource::UserOverride) {
    if (auto observed = settings.history ? settings.history(offer) : std::nullopt) {
      if (observed->preemptions < 0 || !std::isfinite(observed->instanceHours) || observed->instanceHours <= 0.0) {
        return makeError(ErrorCode::InvalidArgument,
                         "Plan: preemption history for " + key + " needs a count ≥ 0 over more than 0 instance-hours, got " +
                             std::to_string(observed->preemptions) + format(" over %g h", observed->instanceHours));
      }
      // A few hours without a preemption must not read as "never preempted": the published (or
      // assumed) rate counts as kPriorWeightHours of evidence (a Gamma prior; the posterior mean).
      const double prior = hazard.ratePerHour;
      hazard.ratePerHour = (observed->preemptions + prior * kPriorWeightHours) / (observed->instanceHours + kPriorWeightHours);
      hazard.source = HazardSource::Observed;
      hazard.assumption = false;
      hazard.observations = observed->preemptions;
      hazard.observedHours = observed->instanceHours;
      hazard.basis = "your history: " + std::to_string(observed->preemptions) + " preemption(s) in " +
                     format("%.1f", observed->instanceHours) + " instance-hours, weighed with " + rateText(prior) + " (" +
                     hazard.basis + ")" + format(" as %g instance-hours", kPriorWeightHours) + " → " + rateText(hazard.ratePerHour);
    }
  }
  if (offer.provider == pricing::CloudProvider::Gcp && settings.gcpVmKind == GcpVmKind::Preemptible) {
    hazard.maxUptimeHours = kGcpPreemptibleMaxUptimeHours;
    hazard.basis += "; preemptible VM: stopped after at most 24 h";
  }
  return hazard;
}

std::string hazardModelHelp() {
  return
      "How preemption risk is modelled\n"
      "Each offer gets a preemption rate λ (per instance-hour); preemptions arrive at random, "
      "independently, at that rate (an exponential lifetime).\n"
      "- AWS: the Spot Instance Advisor band (monthly interruption frequency, e.g. \"5-10%\") is read as the "
      "chance that an instance kept for a whole month (730 h) is interrupted: λ = −ln(1 − p) / 730 h. "
      "The risk setting picks the point of the range: optimistic = its low end, typical = its midpoint, "
      "pessimistic = its high end. A low end of 0 % is "
      "read as 1 %; the open top band \">20%\" as 20–30 %. If AWS counts interruptions over instances that ran "
      "for less than a month, the real hourly rate is higher: choose pessimistic or set your own rate. "
      "Offers without a band (the built-in catalog has none yet) ASSUME 5–15 % per day, as below.\n"
      "- GCP: no rate is published. Spot and preemptible VMs ASSUME 5–15 % per day "
      "(λ = −ln(1 − p) / 24 h), Google's historical figure for preemptible VMs. Preemptible VMs are also "
      "always stopped after 24 h of uptime; spot VMs have no such limit.\n"
      "- Azure: the eviction band where the catalog has one, read like AWS's; otherwise ASSUMED 5–15 % per day.\n"
      "The same assumption for every cloud keeps it from deciding between them; rates marked \"assumed\" are "
      "not published figures.\n"
      "- Your own rate, for one offer or for all, replaces all of the above. Once jobs run, your own history "
      "of that offer in the job ledger (spot attempts: preemptions and instance-hours, with the number of "
      "preemptions shown) is used when you have not set one: (preemptions + λ₀·24 h) ÷ (instance-hours + 24 h), "
      "where λ₀ is the published or assumed rate above, so a short history moves the rate only a little and "
      "a long one decides it.\n"
      "A preemption loses the work since the last checkpoint and costs the restart time (boot, driver, restore), "
      "which is billed and can itself be interrupted. Expected time follows Daly's model: each segment of τ "
      "hours of work plus a checkpoint C takes e^(λR)·(e^(λ(τ+C)) − 1)/λ on average; the recommended τ is the "
      "exact minimum (close to Young's √(2C/λ) when λC is small), adjusted to split the work into equal "
      "segments. P50/P90 come from simulated runs, which also include the 24 h cap and an optional switch to "
      "on-demand after M preemptions.";
}

}  // namespace spotwise::planner
