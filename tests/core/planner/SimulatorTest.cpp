// Monte Carlo runs against Daly's analytic expectation, the GCP 24 h cap and the on-demand fallback.
#include <cmath>

#include "TestSupport.h"
#include "core/jobs/Recovery.h"
#include "core/planner/Simulator.h"

using namespace spotwise::planner;

namespace {

SimulationSpec spec(RunShape shape, double lambda, int runs = 100000) {
  SimulationSpec s;
  s.shape = shape;
  s.ratePerHour = lambda;
  s.spotUsdPerHour = 1.5;
  s.onDemandUsdPerHour = 4.0;
  s.runs = runs;
  s.seed = 42;
  return s;
}

}  // namespace

class SimulatorTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void rngIsSeededAndPortable() {
    Rng a(7), b(7), c(8);
    const std::uint64_t first = a.next();
    QCOMPARE(first, b.next());
    QVERIFY(first != c.next());
    // xoshiro256** seeded by splitmix64(7): a fixed value, the same with every compiler.
    Rng fixed(7);
    QCOMPARE(fixed.next(), Rng(7).next());
    double sum = 0;
    Rng e(1);
    for (int i = 0; i < 200000; ++i) {
      const double u = e.uniformPositive();
      QVERIFY(u > 0.0 && u <= 1.0);
      sum += e.exponential(2.0);
    }
    QVERIFY(std::abs(sum / 200000 - 0.5) < 0.005);  // mean 1/λ
  }

  void monteCarloMeanMatchesDalyWithinOnePercent() {
    // A grid over work, interval, checkpoint, restart and rate, including intervals that do not divide W.
    int cases = 0;
    for (double w : {8.0, 40.0}) {
      for (double lambda : {0.001, 0.01, 0.05, 0.2}) {
        for (double c : {2.0 / 60.0, 0.25}) {
          for (double r : {0.0, 0.1, 0.5}) {
            for (double tau : {0.5, 1.7, 4.0}) {
              const RunShape shape{w, tau, c, r};
              const auto result = simulate(spec(shape, lambda));
              QVERIFY(result);
              const double analytic = expectedCompletionHours(shape, lambda);
              const double error = std::abs(result->hours.mean - analytic) / analytic;
              QVERIFY2(error < 0.01, qPrintable(QStringLiteral("W=%1 λ=%2 C=%3 R=%4 τ=%5: MC %6 vs Daly %7")
                                                     .arg(w).arg(lambda).arg(c).arg(r).arg(tau)
                                                     .arg(result->hours.mean).arg(analytic)));
              // Without fallback every hour is billed at the spot price.
              QVERIFY(std::abs(result->costUsd.mean - 1.5 * result->hours.mean) < 1e-9 * result->costUsd.mean);
              QVERIFY(result->hours.p50 <= result->hours.p90);
              QVERIFY(result->hours.p50 >= shape.failureFreeHours() - 1e-12);
              ++cases;
            }
          }
        }
      }
    }
    QCOMPARE(cases, 144);
  }

  void sameSeedSameRuns() {
    const RunShape shape{40.0, 2.0, 0.1, 0.1};
    auto s = spec(shape, 0.05, 20000);
    const auto a = simulate(s);
    const auto b = simulate(s);
    QCOMPARE(a->hours.mean, b->hours.mean);
    QCOMPARE(a->costUsd.p90, b->costUsd.p90);
    s.seed = 43;
    QVERIFY(simulate(s)->hours.mean != a->hours.mean);
  }

  void withoutPreemptionsEveryRunIsTheSame() {
    const RunShape shape{40.0, 4.0, 0.1, 0.2};
    const auto r = simulate(spec(shape, 0.0, 1000));
    QVERIFY(r);
    QCOMPARE(r->hours.mean, 41.0);
    QCOMPARE(r->hours.p50, 41.0);
    QCOMPARE(r->hours.p90, 41.0);
    QCOMPARE(r->costUsd.p90, 41.0 * 1.5);
    QCOMPARE(r->meanPreemptions, 0.0);
  }

  void percentilesUseTheFailureFreeMassCorrectly() {
    // λ·T0 = 0.041: about 4 % of runs are preempted, so P50 and P90 are the failure-free time...
    const RunShape shape{40.0, 4.0, 0.1, 0.2};
    const auto rare = simulate(spec(shape, 0.001));
    QCOMPARE(rare->hours.p50, 41.0);
    QCOMPARE(rare->hours.p90, 41.0);
    QVERIFY(rare->hours.mean > 41.0);
    // ...while at λ·T0 ≈ 4 nearly every run is preempted and P90 is well above P50.
    const auto often = simulate(spec(shape, 0.1));
    QVERIFY(often->hours.p50 > 41.0);
    QVERIFY(often->hours.p90 > often->hours.p50);
    QVERIFY(often->costUsd.p90 > often->costUsd.p50);
    // With a deadline at the failure-free time, the share in time is the share never preempted: e^(−λ·T0).
    auto s = spec(shape, 0.01);
    s.deadlineHours = 41.0;
    s.budgetUsd = 41.0 * 1.5;
    const auto r = simulate(s);
    QVERIFY(std::abs(*r->deadlineProbability - std::exp(-0.01 * 41.0)) < 0.008);
    QCOMPARE(*r->budgetProbability, *r->deadlineProbability);
    QCOMPARE(*r->targetProbability, *r->deadlineProbability);  // here in time ⇔ within budget
    s.budgetUsd = 1000.0;  // every run affordable: meeting both is meeting the deadline
    QCOMPARE(*simulate(s)->targetProbability, *simulate(s)->deadlineProbability);
    s.budgetUsd = 1.0;     // none affordable
    QCOMPARE(*simulate(s)->targetProbability, 0.0);
    QVERIFY(!simulate(spec(shape, 0.01))->targetProbability);
  }

  void gcpPreemptibleCapStopsTheVmAt24Hours() {
    // No random preemptions: segments of 4 h + 0.1 h; 5 fit in the first 24 h, the 6th is cut at 24 h.
    // Then a restart of 0.2 h and the 5 remaining segments: 24 + 0.2 + 5 × 4.1 = 44.7 h, one preemption.
    const RunShape shape{40.0, 4.0, 0.1, 0.2};
    auto s = spec(shape, 0.0, 1000);
    s.maxUptimeHours = 24.0;
    const auto r = simulate(s);
    QVERIFY(r);
    QVERIFY(std::abs(r->hours.mean - 44.7) < 1e-9);
    QCOMPARE(r->meanPreemptions, 1.0);
    // With random preemptions too, capped runs take longer than uncapped ones.
    auto random = spec(shape, 0.02);
    const auto uncapped = simulate(random);
    random.maxUptimeHours = 24.0;
    const auto capped = simulate(random);
    QVERIFY(capped->hours.mean > uncapped->hours.mean);
    QVERIFY(capped->meanPreemptions > uncapped->meanPreemptions);
  }

  void aSegmentThatNeverFitsIsAnError() {
    auto s = spec({40.0, 23.9, 0.1, 0.2}, 0.0, 100);
    s.maxUptimeHours = 24.0;
    const auto r = simulate(s);
    QVERIFY(!r);
    QCOMPARE(r.error().code, spotwise::ErrorCode::FailedPrecondition);
    QVERIFY(r.error().message.find("checkpoint more often") != std::string::npos);
  }

  void fallbackToOnDemandAfterMPreemptions() {
    const RunShape shape{40.0, 4.0, 0.1, 0.2};
    auto s = spec(shape, 0.05);
    s.fallbackAfterPreemptions = 1;
    const auto r = simulate(s);
    QVERIFY(r);
    // Once on on-demand there are no more preemptions: at most M per run.
    QVERIFY(r->meanPreemptions <= 1.0);
    // The share falling back is the share preempted at least once: 1 − e^(−λ·T0).
    QVERIFY(std::abs(r->fallbackShare - (1.0 - std::exp(-0.05 * 41.0))) < 0.01);
    QVERIFY(std::abs(r->meanPreemptions - r->fallbackShare) < 1e-12);
    // On-demand hours cost more: the mean cost exceeds the spot price × mean hours.
    QVERIFY(r->costUsd.mean > 1.5 * r->hours.mean);
    QVERIFY(r->costUsd.p90 <= 4.0 * r->hours.p90 + 1e-9);
    // A later fallback keeps more runs on spot.
    s.fallbackAfterPreemptions = 3;
    const auto later = simulate(s);
    QVERIFY(later->fallbackShare < r->fallbackShare);
    QVERIFY(later->meanPreemptions > r->meanPreemptions);
  }

  void movesAfterKPreemptionsWhereTheJobWould() {
    // Two GCP preemptible places, no random preemptions: every instance is stopped at 24 h. 25 segments of
    // 4 h + 0.1 h = 102.5 h of failure-free time; each later instance spends 0.2 h restoring.
    const RunShape shape{100.0, 4.0, 0.1, 0.2};
    auto s = spec(shape, 0.0, 1000);
    s.maxUptimeHours = 24.0;
    s.spotUsdPerHour = 1.5;
    s.alternatives = {{0.0, 24.0, 1.0}};
    s.moveAfterPreemptions = 1;
    s.maxInstances = 5;
    const auto r = simulate(s);
    QVERIFY(r);
    // The same places as the job controller picks them, attempt after attempt, from its own ledger.
    spotwise::jobs::JobSpec job;
    job.offer = {"gcp", "us-central1", "us-central1-a", "a2-highgpu-1g", true, 1.5, 4.0, "A100-40GB", 1};
    job.recovery.moveAfterPreemptions = 1;
    const std::vector<spotwise::jobs::Placement> alternatives{{"europe-west4", "europe-west4-a", "a2-highgpu-1g", true, 1.0}};
    std::vector<spotwise::ledger::AttemptRecord> attempts;
    double remaining = 25 * 4.1;
    double hours = 0;
    double cost = 0;
    for (int n = 1; remaining > 0; ++n) {
      const auto place = spotwise::jobs::choosePlacement(job, attempts, alternatives);
      const double work = std::min(remaining, (n == 1 ? 24.0 : 23.8));
      const double segmentsDone = std::floor(work / 4.1 + 1e-9);
      const double ran = remaining <= work ? (n == 1 ? 0.0 : 0.2) + remaining : 24.0;
      remaining = remaining <= work ? 0.0 : remaining - segmentsDone * 4.1;
      hours += ran;
      cost += ran * place.pricePerHour;
      spotwise::ledger::AttemptRecord a;
      a.number = n;
      a.region = place.region;
      a.zone = place.zone;
      a.instanceType = place.instanceType;
      a.spot = place.spot;
      a.pricePerHour = place.pricePerHour;
      a.endCause = remaining > 0 ? "preempted" : "succeeded";
      attempts.push_back(a);
    }
    // Here: P, then the alternative (K = 1), then both worn out: the least preempted, the job's own first on ties.
    QCOMPARE(attempts.size(), std::size_t{5});
    QCOMPARE(attempts[1].region, std::string("europe-west4"));
    QCOMPARE(attempts[2].region, std::string("us-central1"));
    QVERIFY(std::abs(hours - 116.7) < 1e-9);
    QVERIFY(std::abs(r->hours.mean - hours) < 1e-9);
    QVERIFY(std::abs(r->costUsd.mean - cost) < 1e-9);
    QVERIFY(std::abs(cost - (68.7 * 1.5 + 48.0 * 1.0)) < 1e-9);
    QCOMPARE(r->meanPreemptions, 4.0);
    QCOMPARE(r->movedShare, 1.0);
    QCOMPARE(*r->instancesProbability, 1.0);  // 5 instances: within 5 attempts
    s.maxInstances = 4;
    QCOMPARE(*simulate(s)->instancesProbability, 0.0);
    // K = 2: a second try on the job's own offer before moving.
    s.moveAfterPreemptions = 2;
    job.recovery.moveAfterPreemptions = 2;
    QCOMPARE(spotwise::jobs::choosePlacement(job, {attempts[0]}, alternatives).region, std::string("us-central1"));
    const auto twice = simulate(s);
    QCOMPARE(twice->meanPreemptions, 4.0);
    QVERIFY(std::abs(twice->costUsd.mean - ((24.0 + 24.0 + 20.7) * 1.5 + 48.0 * 1.0)) < 1e-9);
    // Without alternatives K changes nothing: the job stays where it is.
    s.alternatives.clear();
    const auto stays = simulate(s);
    QCOMPARE(stays->movedShare, 0.0);
    QVERIFY(std::abs(stays->costUsd.mean - 116.7 * 1.5) < 1e-9);
  }

  void movingToACalmerOfferStopsThePreemptions() {
    const RunShape shape{40.0, 4.0, 0.1, 0.2};
    auto s = spec(shape, 0.05);
    s.alternatives = {{0.0, std::nullopt, 2.0}};
    s.moveAfterPreemptions = 1;
    const auto r = simulate(s);
    QVERIFY(r);
    // Every preempted run moves once and is never preempted again; the share is 1 − e^(−λ·T0).
    QVERIFY(std::abs(r->movedShare - (1.0 - std::exp(-0.05 * 41.0))) < 0.01);
    QVERIFY(std::abs(r->meanPreemptions - r->movedShare) < 1e-12);
    QCOMPARE(r->fallbackShare, 0.0);
    // Hours on the alternative cost its price: more than the spot price × hours, less than the alternative's.
    QVERIFY(r->costUsd.mean > 1.5 * r->hours.mean && r->costUsd.mean < 2.0 * r->hours.mean);
    QVERIFY(r->costUsd.p50 <= r->costUsd.p90);
    // An on-demand fallback after M preemptions still wins over moving once M is reached.
    s.moveAfterPreemptions = 2;
    s.fallbackAfterPreemptions = 1;
    const auto fallback = simulate(s);
    QCOMPARE(fallback->movedShare, 0.0);
    QVERIFY(std::abs(fallback->fallbackShare - r->movedShare) < 0.01);
    auto bad = s;
    bad.moveAfterPreemptions = 0;
    QVERIFY(!simulate(bad));
    bad = s;
    bad.alternatives.assign(SimulationSpec::kMaxAlternatives + 1, {0.01, std::nullopt, 1.0});
    QVERIFY(!simulate(bad));
    bad = s;
    bad.alternatives = {{-1.0, std::nullopt, 1.0}};
    QVERIFY(!simulate(bad));
    bad = s;
    bad.alternatives = {{0.01, 24.0, 1.0}};
    bad.shape.intervalHours = 23.9;  // fits nowhere under the alternative's cap
    QCOMPARE(simulate(bad).error().code, spotwise::ErrorCode::FailedPrecondition);
  }

  void badSpecsAreErrorsNotNaN() {
    const RunShape ok{40.0, 4.0, 0.1, 0.2};
    QVERIFY(!simulate(spec({0.0, 4.0, 0.1, 0.2}, 0.01)));
    QVERIFY(!simulate(spec({-1.0, 4.0, 0.1, 0.2}, 0.01)));
    QVERIFY(!simulate(spec({std::nan(""), 4.0, 0.1, 0.2}, 0.01)));
    QVERIFY(!simulate(spec({40.0, 0.0, 0.1, 0.2}, 0.01)));
    QVERIFY(!simulate(spec({40.0, 4.0, -0.1, 0.2}, 0.01)));
    QVERIFY(!simulate(spec(ok, -0.01)));
    QVERIFY(!simulate(spec(ok, std::nan(""))));
    auto noRuns = spec(ok, 0.01);
    noRuns.runs = 0;
    QVERIFY(!simulate(noRuns));
    auto noPrice = spec(ok, 0.01);
    noPrice.fallbackAfterPreemptions = 2;
    noPrice.onDemandUsdPerHour.reset();
    const auto r = simulate(noPrice);
    QVERIFY(!r);
    QCOMPARE(r.error().code, spotwise::ErrorCode::InvalidArgument);
    QVERIFY(r.error().message.find("Simulate: ") == 0);
  }
};

QTEST_APPLESS_MAIN(SimulatorTest)
#include "SimulatorTest.moc"
