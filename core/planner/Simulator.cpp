#include "core/planner/Simulator.h"

#include <algorithm>
#include <array>
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

// The value of 0-based rank k in `v` (k < v.size()). One pass counts the values into buckets of equal width
// between the minimum and the maximum, then only the bucket holding rank k is ordered (nth_element). A
// value's bucket never decreases as the value grows, so the ranks below and above that bucket are right and
// the result is exactly std::nth_element's; it just reads the data a few times instead of shuffling it.
double valueOfRank(const std::vector<double>& v, std::size_t k, std::vector<double>& scratch) {
  const auto [low, high] = std::minmax_element(v.begin(), v.end());
  const double min = *low;
  const double max = *high;
  if (!(max > min)) return min;
  constexpr std::size_t kBuckets = 4096;
  const double scale = static_cast<double>(kBuckets) / (max - min);
  if (!std::isfinite(scale)) {  // a spread too small to divide: order a copy
    scratch = v;
    const auto nth = scratch.begin() + static_cast<std::ptrdiff_t>(k);
    std::nth_element(scratch.begin(), nth, scratch.end());
    return *nth;
  }
  const auto bucketOf = [&](double x) { return std::min(kBuckets - 1, static_cast<std::size_t>((x - min) * scale)); };
  std::array<std::uint32_t, kBuckets> counts{};
  for (const double x : v) ++counts[bucketOf(x)];
  std::size_t bucket = 0;
  std::size_t before = 0;
  while (before + counts[bucket] <= k) before += counts[bucket++];
  scratch.clear();
  for (const double x : v) {
    if (bucketOf(x) == bucket) scratch.push_back(x);
  }
  const auto nth = scratch.begin() + static_cast<std::ptrdiff_t>(k - before);
  std::nth_element(scratch.begin(), nth, scratch.end());
  return *nth;
}

// Nearest-rank P50 and P90 of a sample made of `baseCount` copies of `base` plus `others`.
// Ranks are 1-based: the q-percentile is the value of rank ⌈q·N⌉. The failure-free runs all take the same
// time and cost, so they are counted rather than stored.
std::pair<double, double> medianAndP90(double base, long long baseCount, const std::vector<double>& others) {
  const long long n = baseCount + static_cast<long long>(others.size());
  const auto rankOf = [n](double q) {
    return std::max<long long>(1, static_cast<long long>(std::ceil(q * static_cast<double>(n) - 1e-9)));
  };
  const long long below = std::count_if(others.begin(), others.end(), [base](double v) { return v < base; });
  std::vector<double> scratch;
  const auto valueAt = [&](long long rank) {
    if (rank > below && rank <= below + baseCount) return base;
    const long long index = rank <= below ? rank - 1 : rank - 1 - baseCount;
    return valueOfRank(others, static_cast<std::size_t>(index), scratch);
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
  bool moved = false;
  bool exceeded = false;
};

// Where a run's instances may run: the first place, then the alternatives, as the job would try them.
struct Place {
  double rate = 0.0;
  double cap = kInfinity;
  double price = 0.0;
  double meanLife = kInfinity;  ///< 1/λ: lifetimes are −ln(u)·(1/λ), a multiplication rather than a division
};

Place makePlace(double rate, const std::optional<double>& cap, double price) {
  return {rate, cap.value_or(kInfinity), price, rate > 0.0 ? 1.0 / rate : kInfinity};
}

// One simulated run. Segments are done in order: `fullCount` segments of length τ + C, then an optional
// shorter last one of r + C. Only the time to the next preemption is drawn; whole segments that fit
// before it are completed at once, so a run costs one draw per preemption, not one per segment.
class RunSimulator {
 public:
  explicit RunSimulator(const SimulationSpec& spec)
      : m_fullLength(spec.shape.intervalHours + spec.shape.checkpointHours),
        m_restart(spec.shape.restartHours),
        m_onDemandPrice(spec.onDemandUsdPerHour.value_or(0.0)),
        m_fallbackAfter(spec.fallbackAfterPreemptions.value_or(0)),
        m_moveAfter(spec.moveAfterPreemptions && !spec.alternatives.empty() ? *spec.moveAfterPreemptions : 0) {
    const double whole = std::floor(spec.shape.workHours / spec.shape.intervalHours);
    const double remainder = spec.shape.workHours - whole * spec.shape.intervalHours;
    m_fullCount = static_cast<long long>(whole);
    m_lastLength = remainder > 1e-9 ? remainder + spec.shape.checkpointHours : 0.0;
    m_places.push_back(makePlace(spec.ratePerHour, spec.maxUptimeHours, spec.spotUsdPerHour));
    if (m_moveAfter > 0) {
      for (const auto& a : spec.alternatives) m_places.push_back(makePlace(a.ratePerHour, a.maxUptimeHours, a.spotUsdPerHour));
    }
    m_preemptionsAt.assign(m_places.size(), 0);
    const double firstRun = failureFreeHours();
    m_failureFree = firstRun;
    const Place& first = m_places.front();
    if (firstRun >= first.cap) {
      m_preemptedChance = 1.0;  // the cap stops every first instance before the end
    } else {
      m_preemptedChance = -std::expm1(-first.rate * firstRun);  // 1 − e^(−λ·T0), accurate for small λ·T0
    }
  }

  [[nodiscard]] double failureFreeHours() const {
    return static_cast<double>(m_fullCount) * m_fullLength + m_lastLength;
  }
  [[nodiscard]] double failureFreeCost() const { return failureFreeHours() * m_places.front().price; }
  /** q: the chance that a run's first instance is preempted before the run ends. */
  [[nodiscard]] double preemptedChance() const { return m_preemptedChance; }

  /**
   * Draws how many runs in a row are never preempted and the first lifetime of the run after them, the one
   * preempted, with a single exponential draw E of the first place's rate: as if its clock ran on across runs
   * of T0 each, the first preemption falls in run ⌊E/T0⌋ at E − ⌊E/T0⌋·T0 into it. P(⌊E/T0⌋ ≥ j) = e^(−λ·T0·j),
   * the chance that j runs in a row are not preempted, and by memorylessness the offset is the lifetime
   * conditioned on ending before T0, independent of the count. Only for 0 < q < 1; `skipped` may be huge.
   */
  double drawUntilPreempted(Rng& rng, double& firstLife) const {
    const Place& first = m_places.front();
    const double e = -std::log(rng.uniformPositive()) * first.meanLife;
    const double skipped = std::floor(e / m_failureFree);
    firstLife = std::max(0.0, e - skipped * m_failureFree);  // (≥ T0 only by rounding: run() then counts no preemption)
    return skipped;
  }
  /** The first lifetime when every run is preempted (the cap stops the first instance): unconditioned. */
  double firstLifeOfCappedRun(Rng& rng) const { return lifeAt(m_places.front(), rng); }

  // Runs one run whose first instance lives `firstLife` hours.
  RunOutcome run(Rng& rng, double firstLife) {
    RunOutcome out;
    long long fullLeft = m_fullCount;
    const bool lastLeft = m_lastLength > 0.0;
    bool restarting = false;  // the current instance must first spend R restoring
    std::size_t place = 0;
    if (m_moveAfter > 0) std::fill(m_preemptionsAt.begin(), m_preemptionsAt.end(), 0);
    double placeHours = 0.0;  // hours on the current place since the run got there, billed when it leaves
    double life = firstLife;
    for (long long events = 0;; ++events) {
      if (events > kMaxEventsPerRun) {
        out.exceeded = true;
        break;
      }
      const double remaining = static_cast<double>(fullLeft) * m_fullLength + (lastLeft ? m_lastLength : 0.0);
      if (out.fellBack) {  // on-demand: no preemptions any more
        const double onDemandHours = (restarting ? m_restart : 0.0) + remaining;
        out.hours += onDemandHours;
        out.cost += onDemandHours * m_onDemandPrice;
        break;
      }
      const Place& here = m_places[place];
      if (events > 0) life = lifeAt(here, rng);
      double usable = life;
      if (restarting) {
        if (life < m_restart) {  // preempted while booting/restoring
          placeHours += life;
          place = preempted(out, place, placeHours);
          continue;
        }
        placeHours += m_restart;
        usable = life - m_restart;  // memoryless: the rest of the draw is this instance's remaining life
      }  // (`restarting` stays set: this instance either finishes or is preempted, which restarts again)
      if (usable >= remaining) {
        placeHours += remaining;
        break;
      }
      // Preempted after `usable` hours of work: keep the segments that completed, lose the one in progress.
      const double completed = std::floor(usable / m_fullLength);
      if (completed >= static_cast<double>(fullLeft)) {
        fullLeft = 0;  // lost inside the last, shorter segment
      } else {
        fullLeft -= static_cast<long long>(completed);
      }
      placeHours += usable;
      restarting = true;
      place = preempted(out, place, placeHours);
    }
    if (!out.fellBack) bill(out, place, placeHours);
    return out;
  }

 private:
  // Time an instance at `p` survives: an exponential draw, or the uptime cap if that comes first.
  // Reaching the cap stops the VM: for the run that is a preemption like any other.
  static double lifeAt(const Place& p, Rng& rng) {
    const double life = p.rate > 0.0 ? -std::log(rng.uniformPositive()) * p.meanLife : kInfinity;
    return std::min(life, p.cap);
  }

  void bill(RunOutcome& out, std::size_t place, double& placeHours) const {
    out.hours += placeHours;
    out.cost += placeHours * m_places[place].price;
    placeHours = 0.0;
  }

  // Counts a preemption at `place` and returns where the next instance runs (jobs::choosePlacement's rule).
  std::size_t preempted(RunOutcome& out, std::size_t place, double& placeHours) {
    auto& at = m_preemptionsAt;
    ++out.preemptions;
    if (m_fallbackAfter > 0 && out.preemptions >= m_fallbackAfter) {
      out.fellBack = true;
      bill(out, place, placeHours);
      return place;
    }
    if (m_moveAfter == 0) return place;
    ++at[place];
    std::size_t next = m_places.size();
    for (std::size_t i = 0; i < m_places.size(); ++i) {
      if (at[i] < m_moveAfter) {
        next = i;
        break;
      }
    }
    if (next == m_places.size()) {  // every place was preempted K times: the one preempted least, first on ties
      next = 0;
      for (std::size_t i = 1; i < m_places.size(); ++i) {
        if (at[i] < at[next]) next = i;
      }
    }
    if (next != place) {
      bill(out, place, placeHours);
      if (next != 0) out.moved = true;
    }
    return next;
  }

  double m_fullLength;
  double m_restart;
  double m_onDemandPrice;
  int m_fallbackAfter;
  int m_moveAfter;
  long long m_fullCount = 0;
  double m_lastLength = 0.0;
  double m_failureFree = 0.0;      ///< T0
  double m_preemptedChance = 0.0;  ///< 1 − e^(−λ·T0) on the first place: the chance a run is preempted
  std::vector<Place> m_places;
  std::vector<int> m_preemptionsAt;  ///< per place, in the run being simulated (only when moving)
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
  if (spec.moveAfterPreemptions && *spec.moveAfterPreemptions < 1) {
    return invalid("moving needs K ≥ 1 preemptions, got " + std::to_string(*spec.moveAfterPreemptions));
  }
  if (spec.alternatives.size() > SimulationSpec::kMaxAlternatives) {
    return invalid("at most " + std::to_string(SimulationSpec::kMaxAlternatives) + " alternatives, got " +
                   std::to_string(spec.alternatives.size()));
  }
  if (spec.maxInstances && *spec.maxInstances < 1) {
    return invalid("the instance limit must be 1 or more, got " + std::to_string(*spec.maxInstances));
  }
  // After a restart an instance must fit R plus the longest segment into its capped life.
  const auto checkCap = [&](const std::optional<double>& cap) -> Result<void> {
    if (!cap) return {};
    if (!(*cap > 0.0)) return invalid("uptime cap must be more than 0 hours");
    const double longest = std::min(s.intervalHours, s.workHours) + s.checkpointHours;
    if (s.restartHours + longest > *cap) {
      return makeError(ErrorCode::FailedPrecondition,
                       "Simulate: restart (" + number(s.restartHours) + " h) + segment (" + number(longest) +
                           " h) do not fit in the " + number(*cap) +
                           " h a preemptible VM may run: the run could never finish; checkpoint more often");
    }
    return {};
  };
  if (auto ok = checkCap(spec.maxUptimeHours); !ok) return ok.error();
  const bool moves = spec.moveAfterPreemptions && !spec.alternatives.empty();
  if (moves) {
    for (const auto& a : spec.alternatives) {
      if (!(std::isfinite(a.ratePerHour) && a.ratePerHour >= 0.0)) {
        return invalid("an alternative's preemption rate must be in [0, ∞) per hour, got " + number(a.ratePerHour));
      }
      if (!(std::isfinite(a.spotUsdPerHour) && a.spotUsdPerHour >= 0.0)) return invalid("an alternative's spot price must be 0 or more $/h");
      if (auto ok = checkCap(a.maxUptimeHours); !ok) return ok.error();
    }
  }

  RunSimulator simulator(spec);
  const double baseHours = simulator.failureFreeHours();
  const double baseCost = simulator.failureFreeCost();
  const double q = simulator.preemptedChance();
  // Costs are stored only when a run can mix prices (on-demand, other offers); otherwise every run's cost is
  // its hours × the spot price, a monotone map, so the cost percentiles are the hours percentiles × the price.
  const bool mixedPrices = spec.fallbackAfterPreemptions.has_value() || moves;
  Rng rng(spec.seed);
  std::vector<double> hours;
  std::vector<double> costs;
  // Only preempted runs are stored: reserve for the expected share of them, with room to spare.
  const auto expectedStored = static_cast<std::size_t>(std::min(1.0, q * 1.1 + 0.001) * spec.runs);
  hours.reserve(expectedStored);
  if (mixedPrices) costs.reserve(expectedStored);
  long long baseCount = 0;
  double sumHours = 0.0;
  double sumCost = 0.0;
  long long sumPreemptions = 0;
  long long fallbacks = 0;
  long long moved = 0;
  long long inDeadline = 0;
  long long inBudget = 0;
  long long onTarget = 0;
  long long inInstances = 0;
  const auto count = [&](double h, double c, int preemptions, long long times) {
    const bool inTime = !spec.deadlineHours || h <= *spec.deadlineHours;
    const bool affordable = !spec.budgetUsd || c <= *spec.budgetUsd;
    if (spec.deadlineHours && inTime) inDeadline += times;
    if (spec.budgetUsd && affordable) inBudget += times;
    if (inTime && affordable) onTarget += times;
    if (spec.maxInstances && preemptions < *spec.maxInstances) inInstances += times;
  };
  for (long long i = 0; i < spec.runs;) {
    const long long left = spec.runs - i;
    if (q <= 0.0) {
      baseCount += left;
      break;
    }
    double firstLife = 0.0;
    if (q < 1.0) {
      const double skipped = simulator.drawUntilPreempted(rng, firstLife);
      if (!(skipped < static_cast<double>(left))) {  // compared before it is converted: it may be huge
        baseCount += left;
        break;
      }
      baseCount += static_cast<long long>(skipped);
      i += static_cast<long long>(skipped);
    } else {
      firstLife = simulator.firstLifeOfCappedRun(rng);
    }
    const RunOutcome o = simulator.run(rng, firstLife);
    ++i;
    if (o.exceeded) {
      return makeError(ErrorCode::FailedPrecondition,
                       "Simulate: a run needed more than " + std::to_string(kMaxEventsPerRun) +
                           " preemptions; at " + number(spec.ratePerHour) + " per hour this run is not expected to finish");
    }
    sumPreemptions += o.preemptions;
    fallbacks += o.fellBack ? 1 : 0;
    moved += o.moved ? 1 : 0;
    if (o.preemptions == 0) {
      ++baseCount;  // (rounding put the drawn lifetime at T0: the run was not preempted after all)
    } else {
      sumHours += o.hours;
      sumCost += o.cost;
      count(o.hours, o.cost, o.preemptions, 1);
      hours.push_back(o.hours);
      if (mixedPrices) costs.push_back(o.cost);
    }
  }
  count(baseHours, baseCost, 0, baseCount);
  const double n = spec.runs;
  SimulationResult result;
  result.runs = spec.runs;
  result.hours.mean = (static_cast<double>(baseCount) * baseHours + sumHours) / n;
  result.costUsd.mean = (static_cast<double>(baseCount) * baseCost + sumCost) / n;
  result.meanPreemptions = static_cast<double>(sumPreemptions) / n;
  result.fallbackShare = static_cast<double>(fallbacks) / n;
  result.movedShare = static_cast<double>(moved) / n;
  if (mixedPrices) {
    std::tie(result.costUsd.p50, result.costUsd.p90) = medianAndP90(baseCost, baseCount, costs);
    std::tie(result.hours.p50, result.hours.p90) = medianAndP90(baseHours, baseCount, hours);
  } else {
    std::tie(result.hours.p50, result.hours.p90) = medianAndP90(baseHours, baseCount, hours);
    result.costUsd.p50 = result.hours.p50 * spec.spotUsdPerHour;
    result.costUsd.p90 = result.hours.p90 * spec.spotUsdPerHour;
  }
  if (spec.deadlineHours) result.deadlineProbability = static_cast<double>(inDeadline) / n;
  if (spec.budgetUsd) result.budgetProbability = static_cast<double>(inBudget) / n;
  if (spec.deadlineHours || spec.budgetUsd) result.targetProbability = static_cast<double>(onTarget) / n;
  if (spec.maxInstances) result.instancesProbability = static_cast<double>(inInstances) / n;
  return result;
}

}  // namespace spotwise::planner
