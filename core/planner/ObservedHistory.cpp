#include "core/planner/ObservedHistory.h"

#include <algorithm>
#include <memory>

#include "core/ledger/Ledger.h"

namespace spotwise::planner {

void ObservedHistory::add(std::string_view provider, std::string_view region, std::string_view zone,
                          std::string_view instanceType, std::int64_t startMs, std::int64_t endMs, bool preempted,
                          std::int64_t nowMs) {
  if (startMs <= 0) return;  // never started: no exposure, and a refused launch is not a preemption
  const std::int64_t until = endMs > 0 ? endMs : nowMs;
  if (until < startMs) return;
  auto& record = m_byZone[{std::string(provider), std::string(region), std::string(zone), std::string(instanceType)}];
  record.instanceHours += static_cast<double>(until - startMs) / 3'600'000.0;
  record.preemptions += preempted ? 1 : 0;
  ++m_attempts;
}

Result<ObservedHistory> ObservedHistory::fromLedger(ledger::Ledger& ledger, std::int64_t nowMs) {
  ObservedHistory history;
  auto read = ledger.readSnapshot([&]() -> Result<void> {
    auto jobs = ledger.jobs();
    if (!jobs) return jobs.error();
    for (const auto& job : *jobs) {
      auto attempts = ledger.attempts(job.id);
      if (!attempts) return attempts.error();
      for (const auto& a : *attempts) {
        if (!a.spot) continue;
        history.add(a.provider, a.region, a.zone, a.instanceType, a.startMs, a.endMs, a.endCause == "preempted", nowMs);
      }
    }
    return {};
  });
  if (!read) {
    Error e = read.error();
    e.message = "ObservedHistory: " + e.message;
    return e;
  }
  return history;
}

std::optional<ObservedPreemptions> ObservedHistory::forOffer(const pricing::Offer& offer) const {
  const std::string provider(pricing::providerId(offer.provider));
  // Sums the machine's attempts in the region, in one zone or in all of them.
  const auto sum = [&](const std::string* onlyZone) -> std::optional<ObservedPreemptions> {
    ObservedPreemptions total;
    bool any = false;
    for (auto it = m_byZone.lower_bound({provider, offer.region, std::string(), std::string()});
         it != m_byZone.end() && std::get<0>(it->first) == provider && std::get<1>(it->first) == offer.region; ++it) {
      const auto& [p, region, zone, type] = it->first;
      if (type != offer.instanceType || (onlyZone && zone != *onlyZone)) continue;
      total.preemptions += it->second.preemptions;
      total.instanceHours += it->second.instanceHours;
      any = true;
    }
    if (!any || total.instanceHours <= 0.0) return std::nullopt;
    return total;
  };
  if (!offer.zone.empty()) {
    if (auto inZone = sum(&offer.zone)) return inZone;
  }
  // A region-level offer, or a zone without attempts of its own (catalogs may name zones by ID,
  // use1-az2, where EC2 reports the account's name, us-east-1a): the machine's record in the region.
  return sum(nullptr);
}

std::function<std::optional<ObservedPreemptions>(const pricing::Offer&)> ObservedHistory::hook() const {
  auto copy = std::make_shared<const ObservedHistory>(*this);
  return [copy](const pricing::Offer& offer) { return copy->forOffer(offer); };
}

}  // namespace spotwise::planner
