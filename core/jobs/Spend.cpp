#include "core/jobs/Spend.h"

#include <algorithm>
#include <cmath>

namespace spotwise::jobs {

BillingGranularity billingGranularity(std::string_view provider) {
  if (provider == "gcp") {
    // Compute Engine: per-second billing with a one-minute minimum (Google's per-second billing
    // announcement, 2017-09-26; "charged ... on a per-second basis, with a minimum time of one minute").
    return {1, 60, true};
  }
  if (provider == "azure") {
    // Azure VMs: "We charge for the full minutes your virtual machine runs, so you will not be
    // billed for any extra seconds. In this example, you will be billed for 6 minutes" (6 min 45 s),
    // azure.microsoft.com knowledge center "if-my-virtual-machine-ran-for-6-minutes-and-45".
    // Partial minutes are dropped.
    return {60, 0, false};
  }
  if (provider == "local") {
    // Rehearsal: the simulated bill is exactly the seconds the sandbox ran.
    return {1, 0, true};
  }
  // AWS EC2 Linux (On-Demand, Reserved and Spot): "billed on one second increments, with a minimum
  // of 60 seconds" (aws.amazon.com What's New, 2017-10-02, "Announcing Amazon EC2 per second billing").
  return {1, 60, true};
}

double billedSeconds(const BillingGranularity& rule, double seconds) {
  if (!(seconds > 0)) return 0.0;
  const double increment = static_cast<double>(std::max<std::int64_t>(1, rule.incrementSeconds));
  double billed = seconds;
  if (increment > 1) {
    const double units = seconds / increment;
    billed = (rule.roundUp ? std::ceil(units - 1e-9) : std::floor(units + 1e-9)) * increment;
  }
  return std::max(billed, static_cast<double>(rule.minimumSeconds));
}

double attemptCost(std::string_view provider, double runSeconds, double pricePerHour) {
  return billedSeconds(billingGranularity(provider), runSeconds) * pricePerHour / 3600.0;
}

}  // namespace spotwise::jobs

namespace spotwise::jobs {

double priceAt(const ledger::AttemptRecord& attempt, std::int64_t atMs) {
  double price = attempt.pricePerHour;
  for (const auto& c : attempt.priceChanges) {
    if (c.atMs > atMs) break;
    price = c.pricePerHour;
  }
  return price;
}

double attemptCost(const ledger::AttemptRecord& a, std::int64_t endMs) {
  if (a.startMs <= 0 || endMs <= a.startMs) return a.startMs > 0 ? attemptCost(a.provider, 0.0, a.pricePerHour) : 0.0;
  const double lapse = a.timeLapse > 0 ? a.timeLapse : 1.0;
  // Σ (seconds at each price) × price; what the billing rule adds (minimum, rounding) at the last price.
  double usd = 0.0;
  double seconds = 0.0;
  std::int64_t from = a.startMs;
  double price = a.pricePerHour;
  auto charge = [&](std::int64_t until) {
    if (until <= from) return;
    const double s = static_cast<double>(until - from) / 1000.0 * lapse;
    usd += s * price / 3600.0;
    seconds += s;
    from = until;
  };
  for (const auto& c : a.priceChanges) {
    if (c.atMs >= endMs) break;
    charge(std::max(c.atMs, a.startMs));
    price = c.pricePerHour;
  }
  charge(endMs);
  const double extra = billedSeconds(billingGranularity(a.provider), seconds) - seconds;
  return usd + extra * price / 3600.0;
}

JobSpend computeSpend(const std::vector<ledger::AttemptRecord>& attempts, std::int64_t nowMs) {
  JobSpend out;
  for (const auto& a : attempts) {
    double seconds = 0.0;
    std::int64_t end = nowMs;
    if (a.startMs > 0) {
      // Billing runs until the provider is seen to have terminated the instance (goneMs); an
      // attempt that ended without an instance (launch refused) stops at its end.
      if (a.goneMs > 0) end = a.goneMs;
      else if (a.instanceId.empty() && a.endMs > 0) end = a.endMs;
      seconds = std::max<double>(0.0, static_cast<double>(end - a.startMs) / 1000.0);
      if (end == nowMs && a.goneMs == 0) out.burnUsdPerHour += priceAt(a, nowMs) * (a.timeLapse > 0 ? a.timeLapse : 1.0);
    }
    const double cost = a.startMs > 0 ? attemptCost(a, end) : 0.0;
    out.perAttemptSeconds.push_back(seconds);
    out.perAttemptUsd.push_back(cost);
    out.totalUsd += cost;
  }
  return out;
}

}  // namespace spotwise::jobs
