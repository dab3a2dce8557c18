#include "core/planner/CheckpointModel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spotwise::planner {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// A remainder this small is rounding noise, not a segment of work.
constexpr double kNegligibleHours = 1e-9;

}  // namespace

long long RunShape::segmentCount() const {
  const double whole = std::floor(workHours / intervalHours);
  const double remainder = workHours - whole * intervalHours;
  return static_cast<long long>(whole) + (remainder > kNegligibleHours ? 1 : 0);
}

double RunShape::failureFreeHours() const {
  return workHours + static_cast<double>(segmentCount()) * checkpointHours;
}

double expectedSegmentHours(double workHours, double checkpointHours, double restartHours, double ratePerHour) {
  const double length = workHours + checkpointHours;
  if (ratePerHour <= 0.0) return length;
  // expm1 keeps precision when λ(w+C) is tiny; the product overflows to +∞ when the run cannot finish.
  return std::exp(ratePerHour * restartHours) * std::expm1(ratePerHour * length) / ratePerHour;
}

double expectedCompletionHours(const RunShape& shape, double ratePerHour) {
  const double whole = std::floor(shape.workHours / shape.intervalHours);
  const double remainder = shape.workHours - whole * shape.intervalHours;
  double total = whole * expectedSegmentHours(shape.intervalHours, shape.checkpointHours, shape.restartHours, ratePerHour);
  if (remainder > kNegligibleHours) {
    total += expectedSegmentHours(remainder, shape.checkpointHours, shape.restartHours, ratePerHour);
  }
  return total;
}

double dalyExpectedHours(const RunShape& shape, double ratePerHour) {
  return shape.workHours / shape.intervalHours *
         expectedSegmentHours(shape.intervalHours, shape.checkpointHours, shape.restartHours, ratePerHour);
}

double youngInterval(double checkpointHours, double ratePerHour) {
  if (ratePerHour <= 0.0) return kInfinity;
  return std::sqrt(2.0 * checkpointHours / ratePerHour);
}

double dalyHigherOrderInterval(double checkpointHours, double ratePerHour) {
  if (ratePerHour <= 0.0) return kInfinity;
  const double mtbf = 1.0 / ratePerHour;
  if (checkpointHours >= 2.0 * mtbf) return mtbf;
  const double ratio = checkpointHours / (2.0 * mtbf);
  return std::sqrt(2.0 * checkpointHours * mtbf) * (1.0 + std::sqrt(ratio) / 3.0 + ratio / 9.0) - checkpointHours;
}

double exactOptimalInterval(double checkpointHours, double ratePerHour) {
  if (ratePerHour <= 0.0) return kInfinity;
  if (checkpointHours <= 0.0) return 0.0;
  // With x = λτ and c = λC the optimum solves g(x) = e^(x+c)(1 − x) − 1 = 0 on (0, 1): g(0) = e^c − 1 > 0,
  // g(1) = −1 and g is decreasing there, so bisection converges to the one root. Working in
  // log space, ln(1 − x) + x + c = 0, avoids overflow when c is large.
  const double c = ratePerHour * checkpointHours;
  double lo = 0.0;
  double hi = 1.0;
  for (int i = 0; i < 200 && hi - lo > 1e-16; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double g = std::log1p(-mid) + mid + c;
    (g > 0.0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi) / ratePerHour;
}

double recommendedInterval(double workHours, double checkpointHours, double restartHours, double ratePerHour,
                           double maxIntervalHours) {
  const double optimum = std::min({exactOptimalInterval(checkpointHours, ratePerHour), maxIntervalHours, workHours});
  // Equal segments: try the two whole numbers of segments around W/τ*, and keep the faster one.
  const double ideal = workHours / std::max(optimum, std::numeric_limits<double>::min());
  const double fewer = std::max(1.0, std::floor(ideal));
  const double more = std::max(1.0, std::ceil(ideal));
  const auto timeFor = [&](double segments) {
    const double tau = workHours / segments;
    if (tau > maxIntervalHours * (1.0 + 1e-12)) return kInfinity;
    return segments * expectedSegmentHours(tau, checkpointHours, restartHours, ratePerHour);
  };
  const double segments = timeFor(fewer) <= timeFor(more) ? fewer : more;
  return workHours / segments;
}

}  // namespace spotwise::planner
