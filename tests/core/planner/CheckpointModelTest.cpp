// Daly's model of a checkpointed run with exponential preemptions, and its optimum interval.
#include <cmath>
#include <limits>

#include "TestSupport.h"
#include "core/planner/CheckpointModel.h"

using namespace spotwise::planner;

namespace {
bool near(double a, double b, double rel) { return std::abs(a - b) <= rel * std::abs(b); }
}  // namespace

class CheckpointModelTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void knownValue() {
    // 10 segments of 1 h + 6 min checkpoint, 12 min restart, λ = 0.1/h: 10·e^0.02·(e^0.11 − 1)/0.1.
    const RunShape shape{10.0, 1.0, 0.1, 0.2};
    QVERIFY(near(expectedCompletionHours(shape, 0.1), 11.862704329786599, 1e-12));
    QVERIFY(near(dalyExpectedHours(shape, 0.1), 11.862704329786599, 1e-12));
    QCOMPARE(shape.segmentCount(), 10LL);
    QVERIFY(near(shape.failureFreeHours(), 11.0, 1e-12));
  }

  void limitWithoutPreemptionsIsWorkPlusCheckpoints() {
    // λ → 0 gives W + (W/τ)·C.
    const RunShape shape{40.0, 4.0, 2.0 / 60.0, 0.1};
    const double limit = 40.0 + 40.0 / 4.0 * (2.0 / 60.0);
    QCOMPARE(expectedCompletionHours(shape, 0.0), limit);
    for (double lambda : {1e-6, 1e-9, 1e-12}) {
      const double t = expectedCompletionHours(shape, lambda);
      QVERIFY(t > limit);
      QVERIFY2(near(t, limit, lambda * 100.0), qPrintable(QString::number(t, 'g', 17)));
    }
  }

  void unevenWorkHasAShorterLastSegment() {
    const RunShape shape{10.0, 3.0, 0.1, 0.0};
    QCOMPARE(shape.segmentCount(), 4LL);
    const double lambda = 0.05;
    const double expected = 3 * expectedSegmentHours(3.0, 0.1, 0.0, lambda) + expectedSegmentHours(1.0, 0.1, 0.0, lambda);
    QVERIFY(near(expectedCompletionHours(shape, lambda), expected, 1e-12));
  }

  void exactOptimumMinimisesDalysTime() {
    for (double lambda : {1e-4, 1e-3, 0.01, 0.1, 1.0}) {
      for (double c : {1.0 / 60.0, 0.1, 0.5}) {
        const double tau = exactOptimalInterval(c, lambda);
        QVERIFY(tau > 0 && std::isfinite(tau));
        // The optimality condition e^(λ(τ+C))·(1 − λτ) = 1.
        QVERIFY(near(std::exp(lambda * (tau + c)) * (1.0 - lambda * tau), 1.0, 1e-9));
        const RunShape at{100.0, tau, c, 0.1};
        const double best = dalyExpectedHours(at, lambda);
        for (double factor : {0.5, 0.9, 0.99, 1.01, 1.1, 2.0}) {
          RunShape other = at;
          other.intervalHours = tau * factor;
          QVERIFY(dalyExpectedHours(other, lambda) > best);
        }
      }
    }
  }

  void firstOrderFormulasApproachTheExactOptimum() {
    const double c = 2.0 / 60.0;
    const double lambda = 1e-4;  // λC tiny: Young's √(2C/λ) is within a fraction of a percent
    const double exact = exactOptimalInterval(c, lambda);
    QCOMPARE(youngInterval(c, lambda), std::sqrt(2.0 * c / lambda));
    QVERIFY(near(youngInterval(c, lambda), exact, 0.01));
    QVERIFY(std::abs(dalyHigherOrderInterval(c, lambda) - exact) < std::abs(youngInterval(c, lambda) - exact));
    // When C ≥ 2M Daly's estimate is M.
    QCOMPARE(dalyHigherOrderInterval(3.0, 1.0), 1.0);
  }

  void optimumGrowsAsTheRateFalls() {
    double previousExact = 0;
    double previousYoung = 0;
    for (double lambda : {1.0, 0.3, 0.1, 0.03, 0.01, 0.001, 1e-4, 1e-6}) {
      const double exact = exactOptimalInterval(0.05, lambda);
      const double young = youngInterval(0.05, lambda);
      QVERIFY(exact > previousExact);
      QVERIFY(young > previousYoung);
      previousExact = exact;
      previousYoung = young;
    }
    QVERIFY(std::isinf(exactOptimalInterval(0.05, 0.0)));
    QVERIFY(std::isinf(youngInterval(0.05, 0.0)));
  }

  void recommendedIntervalSplitsTheWorkEvenly() {
    const double w = 40.0;
    const double c = 2.0 / 60.0;
    for (double lambda : {0.0, 1e-4, 0.004, 0.05, 0.5}) {
      const double tau = recommendedInterval(w, c, 0.1, lambda, std::numeric_limits<double>::infinity());
      const double segments = w / tau;
      QVERIFY2(std::abs(segments - std::round(segments)) < 1e-9, qPrintable(QString::number(segments)));
      if (lambda > 0) {
        // Rounding to equal segments costs little, and beats one segment more or fewer.
        const double exact = exactOptimalInterval(c, lambda);
        const double n = std::round(segments);
        const double atTau = expectedCompletionHours({w, tau, c, 0.1}, lambda);
        QVERIFY(atTau <= 1.01 * dalyExpectedHours({w, std::min(exact, w), c, 0.1}, lambda));
        QVERIFY(atTau <= expectedCompletionHours({w, w / (n + 1), c, 0.1}, lambda));
        if (n > 1) QVERIFY(atTau <= expectedCompletionHours({w, w / (n - 1), c, 0.1}, lambda));
      }
    }
    QCOMPARE(recommendedInterval(w, c, 0.1, 0.0, std::numeric_limits<double>::infinity()), w);
    // A cap (GCP preemptible: R + τ + C within 24 h) is respected.
    QCOMPARE(recommendedInterval(w, c, 0.1, 1e-6, 10.0), 10.0);  // 40 h in 4 segments fit exactly
    QCOMPARE(recommendedInterval(w, c, 0.1, 1e-6, 9.5), 8.0);    // 4 do not: 5 segments
  }

  void hopelessRatesGiveInfinityNotNaN() {
    const RunShape shape{40.0, 40.0, 1.0, 1.0};
    const double t = expectedCompletionHours(shape, 1000.0);
    QVERIFY(std::isinf(t));
    QVERIFY(!std::isnan(t));
    QVERIFY(std::isfinite(exactOptimalInterval(1.0, 1000.0)));
    QVERIFY(!std::isnan(exactOptimalInterval(1.0, 1000.0)));
  }
};

QTEST_APPLESS_MAIN(CheckpointModelTest)
#include "CheckpointModelTest.moc"
