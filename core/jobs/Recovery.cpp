#include "core/jobs/Recovery.h"

#include <algorithm>
#include <limits>

namespace spotwise::jobs {

namespace {

Placement placementOf(const ledger::AttemptRecord& a) {
  return {a.region, a.zone, a.instanceType, a.spot, a.pricePerHour};
}

}  // namespace

Placement primaryPlacement(const JobSpec& spec) {
  return {spec.offer.region, spec.offer.zone, spec.offer.instanceType, spec.offer.spot, spec.offer.pricePerHour};
}

std::vector<Placement> placementOrder(const JobSpec& spec, const std::vector<Placement>& alternatives) {
  const Placement primary = primaryPlacement(spec);
  // Candidates: the job's offer, then the alternatives cheapest first (or all by price).
  std::vector<Placement> sorted;
  for (const auto& p : alternatives) {
    if (p.spot == spec.offer.spot && !p.samePlaceAs(primary) &&
        std::ranges::none_of(sorted, [&](const Placement& q) { return q.samePlaceAs(p); })) {
      sorted.push_back(p);
    }
  }
  std::ranges::stable_sort(sorted, {}, &Placement::pricePerHour);
  std::vector<Placement> candidates;
  if (spec.recovery.sameRegionFirst) {
    candidates.push_back(primary);
    candidates.insert(candidates.end(), sorted.begin(), sorted.end());
  } else {
    candidates = sorted;
    const auto at = std::ranges::find_if(candidates, [&](const Placement& p) { return p.pricePerHour >= primary.pricePerHour; });
    candidates.insert(at, primary);
  }
  return candidates;
}

Placement choosePlacement(const JobSpec& spec, const std::vector<ledger::AttemptRecord>& attempts,
                          const std::vector<Placement>& alternatives) {
  const auto& policy = spec.recovery;
  const Placement primary = primaryPlacement(spec);
  const auto preemptions = std::ranges::count(attempts, std::string("preempted"), &ledger::AttemptRecord::endCause);

  if (spec.offer.spot && policy.onDemandAfterPreemptions > 0 && preemptions >= policy.onDemandAfterPreemptions &&
      spec.offer.onDemandPricePerHour) {
    return {primary.region, primary.zone, primary.instanceType, false, *spec.offer.onDemandPricePerHour};
  }

  const std::vector<Placement> candidates = placementOrder(spec, alternatives);

  auto preemptionsAt = [&](const Placement& p) {
    return std::ranges::count_if(attempts, [&](const ledger::AttemptRecord& a) {
      return a.endCause == "preempted" && placementOf(a).samePlaceAs(p);
    });
  };
  auto lastAttemptAt = [&](const Placement& p) -> const ledger::AttemptRecord* {
    const ledger::AttemptRecord* last = nullptr;
    for (const auto& a : attempts) {
      if (placementOf(a).samePlaceAs(p)) last = &a;
    }
    return last;
  };
  auto refused = [&](const Placement& p) {
    const auto* last = lastAttemptAt(p);
    return last && last->endCause == "capacity";
  };

  // First choice: not worn out by preemptions and not just refused for capacity.
  for (const auto& p : candidates) {
    if (preemptionsAt(p) < policy.moveAfterPreemptions && !refused(p)) return p;
  }
  // Every placement was preempted K times: the one preempted least (cheapest on ties), unless refused.
  const Placement* best = nullptr;
  for (const auto& p : candidates) {
    if (refused(p)) continue;
    if (!best || preemptionsAt(p) < preemptionsAt(*best)) best = &p;
  }
  if (best) return *best;
  // Everything was refused for capacity: the one refused longest ago.
  const Placement* oldest = &candidates.front();
  std::int64_t oldestEnd = std::numeric_limits<std::int64_t>::max();
  for (const auto& p : candidates) {
    const auto* last = lastAttemptAt(p);
    const std::int64_t end = last ? last->endMs : 0;
    if (end < oldestEnd) {
      oldestEnd = end;
      oldest = &p;
    }
  }
  return *oldest;
}

std::int64_t capacityBackoffMs(int failures, std::int64_t baseMs, std::int64_t maxMs, std::mt19937_64& rng) {
  if (failures <= 0) return 0;
  std::int64_t delay = baseMs;
  for (int i = 1; i < failures && delay < maxMs; ++i) delay *= 2;
  delay = std::min(delay, maxMs);
  std::uniform_int_distribution<std::int64_t> half(delay / 2, delay);
  return half(rng);
}

}  // namespace spotwise::jobs
