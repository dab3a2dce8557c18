#include "core/planner/Planner.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/pricing/GpuModels.h"

namespace spotwise::planner {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Beyond this many expected preemptions per run the plan is meaningless (and slow to simulate).
constexpr double kMaxExpectedPreemptions = 100.0;
constexpr int kMaxFallbackPreemptions = 1000;
constexpr int kMinRuns = 100;
constexpr int kMaxRuns = 10'000'000;

std::string number(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// FNV-1a: a stable hash of the offer key (std::hash may differ between standard libraries).
std::uint64_t stableHash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool positive(double v) { return std::isfinite(v) && v > 0.0; }
bool nonNegative(double v) { return std::isfinite(v) && v >= 0.0; }

std::optional<double> finiteOrNull(double v) {
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

}  // namespace

std::vector<FieldError> validateRequest(const PlanRequest& r) {
  std::vector<FieldError> errors;
  const auto add = [&errors](PlanField field, std::string message) { errors.push_back({field, std::move(message)}); };
  if (r.work.unit == WorkUnit::GpuHours) {
    if (!positive(r.work.gpuHours)) add(PlanField::Work, "The work must be more than 0 GPU-hours (got " + number(r.work.gpuHours) + ").");
  } else {
    if (!positive(r.work.steps)) add(PlanField::Steps, "The number of steps must be more than 0 (got " + number(r.work.steps) + ").");
    if (!positive(r.work.secondsPerStep)) {
      add(PlanField::SecondsPerStep, "Seconds per step must be more than 0 (got " + number(r.work.secondsPerStep) + ").");
    }
  }
  if (r.gpuCount < 1) add(PlanField::GpuCount, "The GPU count must be 1 or more (got " + std::to_string(r.gpuCount) + ").");
  if (!positive(r.checkpointMinutes)) {
    add(PlanField::Checkpoint,
        "The checkpoint time must be more than 0 minutes (got " + number(r.checkpointMinutes) + "); writing a checkpoint always takes some time.");
  }
  if (r.restartMinutes && !nonNegative(*r.restartMinutes)) {
    add(PlanField::Restart, "The restart time must be 0 minutes or more (got " + number(*r.restartMinutes) + ").");
  }
  if (r.intervalHours) {
    if (!positive(*r.intervalHours)) {
      add(PlanField::Interval, "The checkpoint interval must be more than 0 hours (got " + number(*r.intervalHours) + ").");
    } else if (positive(r.checkpointMinutes) && r.checkpointMinutes / 60.0 > *r.intervalHours) {
      add(PlanField::Interval, "The checkpoint (" + number(r.checkpointMinutes) + " min) takes longer than the interval between checkpoints (" +
                                   number(*r.intervalHours * 60.0) + " min).");
    }
  }
  const auto badRate = [](double v) { return !nonNegative(v); };
  if (r.hazard.overrideRatePerHour && badRate(*r.hazard.overrideRatePerHour)) {
    add(PlanField::RateOverride, "The preemption rate must be in [0, ∞) per hour (got " + number(*r.hazard.overrideRatePerHour) + ").");
  }
  for (const auto& [key, rate] : r.hazard.offerOverrides) {
    if (badRate(rate)) add(PlanField::RateOverride, "The preemption rate for " + key + " must be in [0, ∞) per hour (got " + number(rate) + ").");
  }
  if (r.fallbackAfterPreemptions &&
      (*r.fallbackAfterPreemptions < 1 || *r.fallbackAfterPreemptions > kMaxFallbackPreemptions)) {
    add(PlanField::Fallback, "Fall back to on-demand after 1 to " + std::to_string(kMaxFallbackPreemptions) +
                                 " preemptions (got " + std::to_string(*r.fallbackAfterPreemptions) + ").");
  }
  if (r.moveAfterPreemptions && (*r.moveAfterPreemptions < 1 || *r.moveAfterPreemptions > kMaxFallbackPreemptions)) {
    add(PlanField::Move, "Move to another offer after 1 to " + std::to_string(kMaxFallbackPreemptions) +
                             " preemptions (got " + std::to_string(*r.moveAfterPreemptions) + ").");
  }
  if (r.maxInstances && (*r.maxInstances < 1 || *r.maxInstances > kMaxFallbackPreemptions)) {
    add(PlanField::MaxInstances, "The maximum number of attempts must be 1 to " + std::to_string(kMaxFallbackPreemptions) +
                                     " (got " + std::to_string(*r.maxInstances) + ").");
  }
  if (r.deadlineHours && !positive(*r.deadlineHours)) {
    add(PlanField::Deadline, "The deadline must be more than 0 hours (got " + number(*r.deadlineHours) + ").");
  }
  if (r.budgetUsd && !positive(*r.budgetUsd)) add(PlanField::Budget, "The budget must be more than $0 (got " + number(*r.budgetUsd) + ").");
  if (r.runs < kMinRuns || r.runs > kMaxRuns) {
    add(PlanField::Runs, "Simulate between " + std::to_string(kMinRuns) + " and " + std::to_string(kMaxRuns) +
                             " runs per offer (got " + std::to_string(r.runs) + ").");
  }
  return errors;
}

Result<double> machineWorkHours(const Workload& work, int gpuCount) {
  if (gpuCount < 1) return makeError(ErrorCode::InvalidArgument, "Plan: the GPU count must be 1 or more");
  const double hours = work.unit == WorkUnit::GpuHours ? work.gpuHours / gpuCount : work.steps * work.secondsPerStep / 3600.0;
  if (!positive(hours)) return makeError(ErrorCode::InvalidArgument, "Plan: the work must be more than 0 hours");
  return hours;
}

double defaultRestartMinutes(pricing::CloudProvider provider, ImageKind image) {
  double minutes = 6.0;
  switch (provider) {
    case pricing::CloudProvider::Aws: minutes = 6.0; break;
    case pricing::CloudProvider::Gcp: minutes = 5.0; break;
    case pricing::CloudProvider::Azure: minutes = 8.0; break;
  }
  return minutes + (image == ImageKind::DriverInstalledAtBoot ? 8.0 : 0.0);
}

std::vector<pricing::Offer> candidateOffers(const std::vector<pricing::Offer>& offers, const PlanRequest& request) {
  const std::string model = lower(pricing::normaliseGpuModel(request.gpuModel));
  std::vector<pricing::Offer> out;
  for (const auto& o : offers) {
    if (!o.spot || o.gpuCount != request.gpuCount) continue;
    if (!model.empty() && lower(o.gpuModel) != model) continue;
    out.push_back(o);
  }
  return out;
}

Result<OfferPlan> planOffer(const pricing::Offer& offer, const PlanRequest& request) { return planOffer(offer, request, {}); }

Result<OfferPlan> planOffer(const pricing::Offer& offer, const PlanRequest& request, const std::vector<pricing::Offer>& alternatives) {
  if (const auto errors = validateRequest(request); !errors.empty()) {
    return makeError(ErrorCode::InvalidArgument, "Plan: " + errors.front().message);
  }
  const std::string key = offerKey(offer);
  const auto skip = [&key](const std::string& why) { return makeError(ErrorCode::FailedPrecondition, "Plan " + key + ": " + why); };
  if (!offer.spot) return skip("no spot price");
  if (!nonNegative(offer.spot->usdPerHour)) return skip("invalid spot price " + number(offer.spot->usdPerHour));
  if (offer.gpuCount < 1) return skip("the offer has no GPU count");
  auto work = machineWorkHours(request.work, offer.gpuCount);
  if (!work) return work.error();
  auto hazard = resolveHazard(offer, request.hazard);
  if (!hazard) return hazard.error();

  OfferPlan plan;
  plan.offer = offer;
  plan.hazard = *hazard;
  const double lambda = hazard->ratePerHour;
  const double checkpoint = request.checkpointMinutes / 60.0;
  const double restart = request.restartMinutes.value_or(defaultRestartMinutes(offer.provider, request.image)) / 60.0;
  double maxInterval = kInfinity;
  if (hazard->maxUptimeHours) {
    maxInterval = *hazard->maxUptimeHours - restart - checkpoint;
    if (maxInterval <= 0.0) {
      return skip("restart and checkpoint take longer than the " + number(*hazard->maxUptimeHours) + " h a preemptible VM may run");
    }
  }
  plan.intervalRecommended = !request.intervalHours;
  const double interval = request.intervalHours ? *request.intervalHours
                                                : recommendedInterval(*work, checkpoint, restart, lambda, maxInterval);
  if (std::min(interval, *work) > maxInterval) {
    return skip("a segment of " + number(interval) + " h plus checkpoint and restart does not fit in the " +
                number(*hazard->maxUptimeHours) + " h a preemptible VM may run; checkpoint more often");
  }
  plan.shape = RunShape{*work, interval, checkpoint, restart};
  plan.advice.young = finiteOrNull(youngInterval(checkpoint, lambda));
  plan.advice.dalyHigherOrder = finiteOrNull(dalyHigherOrderInterval(checkpoint, lambda));
  plan.advice.exact = finiteOrNull(exactOptimalInterval(checkpoint, lambda));

  const double analytic = expectedCompletionHours(plan.shape, lambda);
  plan.analyticHours = finiteOrNull(analytic);
  if (plan.analyticHours) plan.analyticCostUsd = *plan.analyticHours * offer.spot->usdPerHour;
  const double expectedPreemptions = lambda * analytic;
  if (!request.fallbackAfterPreemptions && !(expectedPreemptions <= kMaxExpectedPreemptions)) {
    return skip("at " + number(lambda) + " preemptions per hour the run is not expected to finish (" +
                (std::isfinite(expectedPreemptions) ? "about " + number(std::round(expectedPreemptions)) : std::string("unbounded")) +
                " preemptions); checkpoint more often, lower the rate, or fall back to on-demand");
  }
  const bool canFallBack = request.fallbackAfterPreemptions && offer.onDemand;

  SimulationSpec spec;
  spec.shape = plan.shape;
  spec.ratePerHour = lambda;
  spec.maxUptimeHours = hazard->maxUptimeHours;
  spec.spotUsdPerHour = offer.spot->usdPerHour;
  if (offer.onDemand) spec.onDemandUsdPerHour = offer.onDemand->usdPerHour;
  if (canFallBack) spec.fallbackAfterPreemptions = request.fallbackAfterPreemptions;
  if (request.fallbackAfterPreemptions && !offer.onDemand && !(expectedPreemptions <= kMaxExpectedPreemptions)) {
    return skip("no on-demand price to fall back to, and the run is not expected to finish on spot");
  }
  if (request.moveAfterPreemptions && !alternatives.empty()) {
    spec.moveAfterPreemptions = request.moveAfterPreemptions;
    for (const auto& alternative : alternatives) {
      if (spec.alternatives.size() == SimulationSpec::kMaxAlternatives) break;
      const std::string where = "Plan " + key + ": alternative " + offerKey(alternative);
      if (!alternative.spot || !nonNegative(alternative.spot->usdPerHour)) {
        return makeError(ErrorCode::InvalidArgument, where + " has no spot price");
      }
      if (alternative.provider != offer.provider || alternative.gpuCount != offer.gpuCount) {
        return makeError(ErrorCode::InvalidArgument, where + " is not on the same provider with the same GPU count");
      }
      auto alternativeHazard = resolveHazard(alternative, request.hazard);
      if (!alternativeHazard) return alternativeHazard.error();
      spec.alternatives.push_back({alternativeHazard->ratePerHour, alternativeHazard->maxUptimeHours, alternative.spot->usdPerHour});
    }
  }
  spec.maxInstances = request.maxInstances;
  spec.deadlineHours = request.deadlineHours;
  spec.budgetUsd = request.budgetUsd;
  spec.runs = request.runs;
  spec.seed = mixSeed(request.seed ^ stableHash(key));
  auto simulation = simulate(spec);
  if (!simulation) return skip(simulation.error().message);
  plan.simulation = *simulation;

  if (offer.onDemand) {
    plan.onDemandCostUsd = *work * offer.onDemand->usdPerHour;
    if (*plan.onDemandCostUsd > 0.0) {
      plan.savingsPercent = (*plan.onDemandCostUsd - plan.expectedCostUsd()) / *plan.onDemandCostUsd * 100.0;
    }
  }
  return plan;
}

bool rankedBefore(const OfferPlan& a, const OfferPlan& b) {
  if (a.expectedCostUsd() != b.expectedCostUsd()) return a.expectedCostUsd() < b.expectedCostUsd();
  if (a.simulation.costUsd.p90 != b.simulation.costUsd.p90) return a.simulation.costUsd.p90 < b.simulation.costUsd.p90;
  return offerKey(a.offer) < offerKey(b.offer);
}

Result<Plan> planOffers(const std::vector<pricing::Offer>& offers, const PlanRequest& request) {
  if (const auto errors = validateRequest(request); !errors.empty()) {
    return makeError(ErrorCode::InvalidArgument, "Plan: " + errors.front().message);
  }
  if (offers.empty()) {
    return makeError(ErrorCode::InvalidArgument, "Plan: no offers to plan: no spot offer has " + std::to_string(request.gpuCount) +
                                                     " × " + (request.gpuModel.empty() ? std::string("GPU") : request.gpuModel));
  }
  Plan plan;
  for (const auto& offer : offers) {
    auto one = planOffer(offer, request);
    if (one) {
      plan.offers.push_back(std::move(one).value());
    } else if (one.error().code == ErrorCode::FailedPrecondition) {
      plan.skipped.push_back({offer, one.error().message});
    } else {
      return one.error();
    }
  }
  std::sort(plan.offers.begin(), plan.offers.end(), rankedBefore);
  return plan;
}

}  // namespace spotwise::planner
