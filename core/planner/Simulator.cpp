#include "core/planner/Simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace spotwise::planner {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// A run that needs more preemptions than this will not end in any useful sense: stop instead of spinning.
constexpr long long kMaxEventsPerRun = 100000;

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

std::string number(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Nearest-rank P50 and P90 of a sample made of `baseCount` copies of `base` plus `others` (reordered).
// Ranks are 1-based: the q-percentile is the value of rank ⌈q·N⌉. The failure-free runs all take the same
// time and cost, so they are counted rather than stored; only the other runs are partially sorted, once
// for P50 and then only above it for P90.
std::pair<double, double> medianAndP90(double base, long long baseCount, std::vector<double>& others) {
  const long long n = baseCount + static_cast<long long>(others.size());
  const auto rankOf = [n](double q) {
    return std::max<long long>(1, static_cast<long long>(std::ceil(q * static_cast<double>(n) - 1e-9)));
  };
  const long long below = std::count_if(others.begin(), others.end(), [base](double v) { return v < base; });
  auto from = others.begin();
  const auto valueAt = [&](long long rank) {
    if (rank > below && rank <= below + baseCount) return base;
    const long long index = rank <= below ? rank - 1 : rank - 1 - baseCount;
    const auto nth = others.begin() + index;
    std::nth_element(from, nth, others.end());
    from = nth;  // everything before is ≤ it: the next, higher rank lies at or after it
    return *nth;
  };
  const double p50 = valueAt(rankOf(0.5));
  const double p90 = valueAt(rankOf(0.9));
  return {p50, p90};
}

struct RunOutcome {
  double hours = 0.0;
  double cost = 0.0;
  int preemptions = 0;
  bool fellBack = false;
  bool exceeded = false;
};

// One simulated run. Segments are done in order: `fullCount` segments of length τ + C, then an optional
// shorter last one of r + C. Only the time to the next preemption is drawn; whole segments that fit
// before it are completed at once, so a run costs one draw per preemption, not one per segment.
class RunSimulator {
 public:
  explicit RunSimulator(const SimulationSpec& spec)
      : m_spec(spec),
        m_fullLength(spec.shape.intervalHours + spec.shape.checkpointHours),
        m_restart(spec.shape.restartHours) {
    const double whole = std::floor(spec.shape.workHours / spec.shape.intervalHours);
    const double remainder = spec.shape.workHours - whole * spec.shape.intervalHours;
    m_fullCount = static_cast<long long>(whole);
    m_lastLength = remainder > 1e-9 ? remainder + spec.shape.checkpointHours : 0.0;
    const double firstRun = failureFreeHours();
    const bool fitsUnderCap = !spec.maxUptimeHours || firstRun < *spec.maxUptimeHours;
    m_noPreemptionChance = fitsUnderCap ? std::exp(-spec.ratePerHour * firstRun) : 0.0;
  }

  [[nodiscard]] double failureFreeHours() const {
    return static_cast<double>(m_fullCount) * m_fullLength + m_lastLength;
  }

  RunOutcome run(Rng& rng) const {
    RunOutcome out;
    const double rate = m_spec.ratePerHour;
    const double spotPrice = m_spec.spotUsdPerHour;
    const double cap = m_spec.maxUptimeHours.value_or(kInfinity);
    long long fullLeft = m_fullCount;
    bool lastLeft = m_lastLength > 0.0;
    bool restarting = false;  // the current instance must first spend R restoring
    double spotHours = 0.0;
    double onDemandHours = 0.0;
    for (long long events = 0;; ++events) {
      if (events > kMaxEventsPerRun) {
        out.exceeded = true;
        break;
      }
      const double remaining = static_cast<double>(fullLeft) * m_fullLength + (lastLeft ? m_lastLength : 0.0);
      if (out.fellBack) {  // on-demand: no preemptions any more
        onDemandHours += (restarting ? m_restart : 0.0) + remaining;
        break;
      }
      // Time this instance survives: an exponential draw, or the uptime cap if that comes first.
      double life = kInfinity;
      if (rate > 0.0) {
        const double u = rng.uniformPositive();
        // Most runs are never preempted: −ln(u)/λ ≥ T0 exactly when u ≤ e^(−λ·T0), so the first draw
        // decides that without a logarithm (same random stream, same result, several times faster).
        if (events == 0 && u <= m_noPreemptionChance) {
          spotHours += remaining;
          break;
        }
        life = -std::log(u) / rate;
      }
      // Reaching the cap stops the VM: for the run that is a preemption like any other.
      life = std::min(life, cap);
      double usable = life;
      if (restarting) {
        if (life < m_restart) {  // preempted while booting/restoring
          spotHours += life;
          preempted(out);
          continue;
        }
        spotHours += m_restart;
        usable = life - m_restart;  // memoryless: the rest of the draw is this instance's remaining life
      }  // (`restarting` stays set: this instance either finishes or is preempted, which restarts again)
      if (usable >= remaining) {
        spotHours += remaining;
        break;
      }
      // Preempted after `usable` hours of work: keep the segments that completed, lose the one in progress.
      const double completed = std::floor(usable / m_fullLength);
      if (completed >= static_cast<double>(fullLeft)) {
        fullLeft = 0;  // lost inside the last, shorter segment
      } else {
        fullLeft -= static_cast<long long>(completed);
      }
      spotHours += usable;
      restarting = true;
      preempted(out);
    }
    out.hours = spotHours + onDemandHours;
    out.cost = spotHours * spotPrice + onDemandHours * m_spec.onDemandUsdPerHour.value_or(0.0);
    return out;
  }

 private:
  void preempted(RunOutcome& out) const {
    ++out.preemptions;
    if (m_spec.fallbackAfterPreemptions && out.preemptions >= *m_spec.fallbackAfterPreemptions) out.fellBack = true;
  }

  const SimulationSpec& m_spec;
  double m_fullLength;
  double m_restart;
  long long m_fullCount = 0;
  double m_lastLength = 0.0;
  double m_noPreemptionChance = 0.0;  ///< e^(−λ·T0): the chance a run is never preempted
};

}  // namespace

Rng::Rng(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& s : m_s) {
    x = mixSeed(x);
    s = x;
  }
}

std::uint64_t mixSeed(std::uint64_t value) {
  std::uint64_t z = value + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
  const std::uint64_t t = m_s[1] << 17;
  m_s[2] ^= m_s[0];
  m_s[3] ^= m_s[1];
  m_s[1] ^= m_s[2];
  m_s[0] ^= m_s[3];
  m_s[2] ^= t;
  m_s[3] = rotl(m_s[3], 45);
  return result;
}

double Rng::uniformPositive() {
  // 53 random bits → (0, 1]: never 0, so the logarithm below is finite.
  return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53;
}

double Rng::exponential(double rate) { return -std::log(uniformPositive()) / rate; }

Result<SimulationResult> simulate(const SimulationSpec& spec) {
  const auto invalid = [](const std::string& what) { return makeError(ErrorCode::InvalidArgument, "Simulate: " + what); };
  const RunShape& s = spec.shape;
  if (!(std::isfinite(s.workHours) && s.workHours > 0.0)) return invalid("work must be more than 0 hours, got " + number(s.workHours));
  if (!(std::isfinite(s.intervalHours) && s.intervalHours > 0.0)) {
    return invalid("checkpoint interval must be more than 0 hours, got " + number(s.intervalHours));
  }
  if (!(std::isfinite(s.checkpointHours) && s.checkpointHours >= 0.0)) {
    return invalid("checkpoint time must be 0 or more hours, got " + number(s.checkpointHours));
  }
  if (!(std::isfinite(s.restartHours) && s.restartHours >= 0.0)) {
    return invalid("restart time must be 0 or more hours, got " + number(s.restartHours));
  }
  if (!(std::isfinite(spec.ratePerHour) && spec.ratePerHour >= 0.0)) {
    return invalid("preemption rate must be in [0, ∞) per hour, got " + number(spec.ratePerHour));
  }
  if (!(std::isfinite(spec.spotUsdPerHour) && spec.spotUsdPerHour >= 0.0)) return invalid("spot price must be 0 or more $/h");
  if (spec.runs < 1) return invalid("needs at least 1 run, got " + std::to_string(spec.runs));
  if (spec.fallbackAfterPreemptions) {
    if (*spec.fallbackAfterPreemptions < 1) {
      return invalid("on-demand fallback needs M ≥ 1 preemptions, got " + std::to_string(*spec.fallbackAfterPreemptions));
    }
    if (!spec.onDemandUsdPerHour || !std::isfinite(*spec.onDemandUsdPerHour) || *spec.onDemandUsdPerHour < 0.0) {
      return invalid("on-demand fallback needs the offer's on-demand price");
    }
  }
  if (spec.maxUptimeHours) {
    if (!(*spec.maxUptimeHours > 0.0)) return invalid("uptime cap must be more than 0 hours");
    // After a restart an instance must fit R plus the longest segment into its capped life.
    const double longest = std::min(s.intervalHours, s.workHours) + s.checkpointHours;
    if (s.restartHours + longest > *spec.maxUptimeHours) {
      return makeError(ErrorCode::FailedPrecondition,
                       "Simulate: restart (" + number(s.restartHours) + " h) + segment (" + number(longest) +
                           " h) do not fit in the " + number(*spec.maxUptimeHours) +
                           " h a preemptible VM may run: the run could never finish; checkpoint more often");
    }
  }

  const RunSimulator simulator(spec);
  const double baseHours = simulator.failureFreeHours();
  const double baseCost = baseHours * spec.spotUsdPerHour;
  Rng rng(spec.seed);
  std::vector<double> hours;
  std::vector<double> costs;
  // Only preempted runs are stored: reserve for the expected share of them, with room to spare.
  const double preemptedShare = 1.0 - std::exp(-spec.ratePerHour * baseHours) + (spec.maxUptimeHours ? 1.0 : 0.0);
  const auto expectedStored = static_cast<std::size_t>(std::min(1.0, preemptedShare * 1.1 + 0.001) * spec.runs);
  hours.reserve(expectedStored);
  costs.reserve(expectedStored);
  long long baseCount = 0;
  double sumHours = 0.0;
  double sumCost = 0.0;
  long long sumPreemptions = 0;
  long long fallbacks = 0;
  long long inDeadline = 0;
  long long inBudget = 0;
  long long onTarget = 0;
  for (int i = 0; i < spec.runs; ++i) {
    const RunOutcome o = simulator.run(rng);
    if (o.exceeded) {
      return makeError(ErrorCode::FailedPrecondition,
                       "Simulate: a run needed more than " + std::to_string(kMaxEventsPerRun) +
                           " preemptions; at " + number(spec.ratePerHour) + " per hour this run is not expected to finish");
    }
    sumHours += o.hours;
    sumCost += o.cost;
    sumPreemptions += o.preemptions;
    fallbacks += o.fellBack ? 1 : 0;
    if (spec.deadlineHours && o.hours <= *spec.deadlineHours) ++inDeadline;
    const bool inTime = !spec.deadlineHours || o.hours <= *spec.deadlineHours;
    const bool affordable = !spec.budgetUsd || o.cost <= *spec.budgetUsd;
    if (spec.budgetUsd && affordable) ++inBudget;
    if (inTime && affordable) ++onTarget;
    if (o.preemptions == 0) {
      ++baseCount;  // identical to every other failure-free run: counted, not stored
    } else {
      hours.push_back(o.hours);
      costs.push_back(o.cost);
    }
  }
  const double n = spec.runs;
  SimulationResult result;
  result.runs = spec.runs;
  result.hours.mean = sumHours / n;
  result.costUsd.mean = sumCost / n;
  result.meanPreemptions = static_cast<double>(sumPreemptions) / n;
  result.fallbackShare = static_cast<double>(fallbacks) / n;
  std::tie(result.hours.p50, result.hours.p90) = medianAndP90(baseHours, baseCount, hours);
  std::tie(result.costUsd.p50, result.costUsd.p90) = medianAndP90(baseCost, baseCount, costs);
  if (spec.deadlineHours) result.deadlineProbability = static_cast<double>(inDeadline) / n;
  if (spec.budgetUsd) result.budgetProbability = static_cast<double>(inBudget) / n;
  if (spec.deadlineHours || spec.budgetUsd) result.targetProbability = static_cast<double>(onTarget) / n;
  return result;
}

}  // namespace spotwise::planner
