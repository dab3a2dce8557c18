// The planner end to end on real catalog offers: validation, ranking, hazards per offer, policies.
#include <cmath>

#include "TestSupport.h"
#include "core/planner/Planner.h"
#include "core/pricing/Snapshot.h"

using namespace spotwise::planner;
using spotwise::pricing::CloudProvider;
using spotwise::pricing::Offer;

namespace {

PlanRequest fortyHours() {
  PlanRequest r;
  r.work.gpuHours = 40.0;
  r.gpuModel = "A100-80GB";
  r.gpuCount = 1;
  r.checkpointMinutes = 2.0;
  r.runs = 20000;
  return r;
}

Offer syntheticOffer(CloudProvider provider, std::string instanceType, double spot, std::optional<double> onDemand) {
  Offer o;
  o.provider = provider;
  o.region = "test-region";
  o.instanceType = std::move(instanceType);
  o.gpuModel = "A100-80GB";
  o.gpuCount = 1;
  o.spot = spotwise::pricing::Price{spot, "test", 0};
  if (onDemand) o.onDemand = spotwise::pricing::Price{*onDemand, "test", 0};
  return o;
}

bool hasField(const std::vector<FieldError>& errors, PlanField field, const std::string& words) {
  for (const auto& e : errors) {
    if (e.field == field && e.message.find(words) != std::string::npos) return true;
  }
  return false;
}

void verifyFinite(const OfferPlan& p) {
  for (double v : {p.expectedCostUsd(), p.expectedHours(), p.simulation.costUsd.p50, p.simulation.costUsd.p90,
                   p.simulation.hours.p50, p.simulation.hours.p90, p.shape.intervalHours, p.hazard.ratePerHour}) {
    QVERIFY(std::isfinite(v));
  }
}

}  // namespace

class PlannerTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void badInputNamesTheField() {
    PlanRequest r = fortyHours();
    r.work.gpuHours = 0;
    QVERIFY(hasField(validateRequest(r), PlanField::Work, "more than 0 GPU-hours"));
    r.work.gpuHours = -3;
    QVERIFY(hasField(validateRequest(r), PlanField::Work, "got -3"));
    r.work.gpuHours = std::nan("");
    QVERIFY(hasField(validateRequest(r), PlanField::Work, "more than 0"));
    r = fortyHours();
    r.work.unit = WorkUnit::Steps;
    r.work.steps = 1000;
    QVERIFY(hasField(validateRequest(r), PlanField::SecondsPerStep, "more than 0"));
    r = fortyHours();
    r.checkpointMinutes = 30;
    r.intervalHours = 0.25;
    QVERIFY(hasField(validateRequest(r), PlanField::Interval, "checkpoint (30 min) takes longer than the interval"));
    r = fortyHours();
    r.checkpointMinutes = 0;
    QVERIFY(hasField(validateRequest(r), PlanField::Checkpoint, "more than 0 minutes"));
    r = fortyHours();
    r.hazard.overrideRatePerHour = -0.01;
    QVERIFY(hasField(validateRequest(r), PlanField::RateOverride, "[0, ∞)"));
    r = fortyHours();
    r.restartMinutes = -1;
    r.fallbackAfterPreemptions = 0;
    r.deadlineHours = 0;
    r.budgetUsd = -5;
    r.gpuCount = 0;
    const auto errors = validateRequest(r);
    QVERIFY(hasField(errors, PlanField::Restart, "0 minutes or more"));
    QVERIFY(hasField(errors, PlanField::Fallback, "1 to 1000"));
    QVERIFY(hasField(errors, PlanField::Deadline, "more than 0 hours"));
    QVERIFY(hasField(errors, PlanField::Budget, "more than $0"));
    QVERIFY(hasField(errors, PlanField::GpuCount, "1 or more"));
    QVERIFY(validateRequest(fortyHours()).empty());

    // planOffers refuses too, with the first problem in its message.
    r = fortyHours();
    r.work.gpuHours = -1;
    const auto plan = planOffers({syntheticOffer(CloudProvider::Aws, "x", 1.0, 3.0)}, r);
    QVERIFY(!plan);
    QCOMPARE(plan.error().code, spotwise::ErrorCode::InvalidArgument);
    QVERIFY(plan.error().message.find("Plan: The work must be more than 0 GPU-hours") == 0);
  }

  void emptyOfferSetIsAnError() {
    const auto plan = planOffers({}, fortyHours());
    QVERIFY(!plan);
    QCOMPARE(plan.error().code, spotwise::ErrorCode::InvalidArgument);
    QVERIFY2(plan.error().message.find("no offers to plan") != std::string::npos, plan.error().message.c_str());
    QVERIFY(plan.error().message.find("1 × A100-80GB") != std::string::npos);
  }

  void workFromStepsOrGpuHours() {
    Workload w;
    w.gpuHours = 40;
    QCOMPARE(*machineWorkHours(w, 1), 40.0);
    QCOMPARE(*machineWorkHours(w, 8), 5.0);  // 40 GPU-hours over 8 GPUs
    w.unit = WorkUnit::Steps;
    w.steps = 36000;
    w.secondsPerStep = 4;
    QCOMPARE(*machineWorkHours(w, 8), 40.0);  // seconds per step are for the whole machine
    QVERIFY(!machineWorkHours(w, 0));
  }

  void ranksTheSnapshotOffersByExpectedCost() {
    const auto snapshot = spotwise::pricing::embeddedSnapshot();
    QVERIFY(snapshot);
    const PlanRequest r = fortyHours();
    const auto offers = candidateOffers(snapshot->offers, r);
    QVERIFY(offers.size() >= 5);
    for (const auto& o : offers) {
      QCOMPARE(o.gpuModel, std::string("A100-80GB"));
      QCOMPARE(o.gpuCount, 1);
      QVERIFY(o.spot.has_value());
    }
    const auto plan = planOffers(offers, r);
    QVERIFY(plan);
    QCOMPARE(plan->offers.size() + plan->skipped.size(), offers.size());
    QVERIFY(!plan->offers.empty());
    for (std::size_t i = 0; i < plan->offers.size(); ++i) {
      const auto& p = plan->offers[i];
      verifyFinite(p);
      if (i > 0) QVERIFY(plan->offers[i - 1].expectedCostUsd() <= p.expectedCostUsd());
      // Preemptions and checkpoints only add time: never below the failure-free run.
      QVERIFY(p.expectedHours() >= p.shape.failureFreeHours() - 1e-9);
      QVERIFY(p.expectedCostUsd() >= p.shape.failureFreeHours() * p.offer.spot->usdPerHour - 1e-9);
      QVERIFY(p.intervalRecommended);
      const double segments = p.shape.workHours / p.shape.intervalHours;
      QVERIFY(std::abs(segments - std::round(segments)) < 1e-9);
      QVERIFY(p.advice.exact && p.advice.young);
      // MC mean agrees with Daly (no cap, no fallback here).
      QVERIFY(std::abs(p.expectedHours() - *p.analyticHours) / *p.analyticHours < 0.01);
      if (p.onDemandCostUsd) {
        QCOMPARE(*p.onDemandCostUsd, 40.0 * p.offer.onDemand->usdPerHour);
        QVERIFY(std::abs(*p.savingsPercent - (*p.onDemandCostUsd - p.expectedCostUsd()) / *p.onDemandCostUsd * 100.0) < 1e-9);
      }
      // The embedded snapshot has no interruption bands yet: every rate is a marked assumption.
      QCOMPARE(p.hazard.source, HazardSource::ProviderDefault);
      QVERIFY(p.hazard.assumption);
    }
    // Deterministic: the same request gives the same numbers.
    const auto again = planOffers(offers, r);
    QCOMPARE(again->offers.front().expectedCostUsd(), plan->offers.front().expectedCostUsd());
    QCOMPARE(again->offers.back().simulation.hours.p90, plan->offers.back().simulation.hours.p90);
  }

  void aPublishedBandIsUsedWhenPresent() {
    Offer withBand = syntheticOffer(CloudProvider::Aws, "p4de.24xlarge", 10.0, 40.0);
    withBand.interruption = spotwise::pricing::InterruptionBand{4, ">20%", 20, 100, "aws-spot-advisor"};
    Offer without = syntheticOffer(CloudProvider::Aws, "p5.48xlarge", 10.0, 40.0);
    const auto plan = planOffers({withBand, without}, fortyHours());
    QVERIFY(plan);
    QCOMPARE(plan->offers.size(), std::size_t(2));
    for (const auto& p : plan->offers) {
      if (p.offer.instanceType == "p4de.24xlarge") {
        QCOMPARE(p.hazard.source, HazardSource::PublishedBand);
        QVERIFY(std::abs(p.hazard.ratePerHour - (-std::log(0.75) / 730.0)) < 1e-12);  // ">20%" typical: 25 %
      } else {
        QCOMPARE(p.hazard.source, HazardSource::ProviderDefault);
      }
    }
    // Same prices: even AWS's top band, read over a month, is calmer than the conservative daily default.
    QCOMPARE(plan->offers.front().offer.instanceType, std::string("p4de.24xlarge"));
    QVERIFY(plan->offers.front().hazard.ratePerHour < plan->offers.back().hazard.ratePerHour);
  }

  void observedHistoryPlugsIn() {
    PlanRequest r = fortyHours();
    const Offer watched = syntheticOffer(CloudProvider::Gcp, "a2-ultragpu-1g", 2.0, 5.0);
    r.hazard.history = [key = offerKey(watched)](const Offer& o) -> std::optional<ObservedPreemptions> {
      if (offerKey(o) == key) return ObservedPreemptions{12, 60.0};  // 0.2 per hour on its own
      return std::nullopt;
    };
    const auto plan = planOffer(watched, r);
    QVERIFY(plan);
    QCOMPARE(plan->hazard.source, HazardSource::Observed);
    QCOMPARE(plan->hazard.observations, 12);
    // Weighed with GCP's assumed 10 %/day (λ₀ = −ln 0.9 / 24 h) as 24 instance-hours: (12 + λ₀·24) / 84 = 0.14411.
    QVERIFY2(std::abs(plan->hazard.ratePerHour - (12.0 - std::log(0.9)) / 84.0) < 1e-12, std::to_string(plan->hazard.ratePerHour).c_str());
    QVERIFY(plan->simulation.meanPreemptions > 5.0);  // λ·T ≈ 0.144 × 45 h
    // A higher observed rate asks for more frequent checkpoints than the GCP default.
    r.hazard.history = nullptr;
    QVERIFY(planOffer(watched, r)->shape.intervalHours > plan->shape.intervalHours);
  }

  void gcpPreemptibleIsCappedAndCostsMore() {
    const Offer gcp = syntheticOffer(CloudProvider::Gcp, "a2-ultragpu-1g", 2.0, 5.0);
    PlanRequest r = fortyHours();
    const auto spot = planOffer(gcp, r);
    r.hazard.gcpVmKind = GcpVmKind::Preemptible;
    const auto preemptible = planOffer(gcp, r);
    QVERIFY(spot && preemptible);
    QVERIFY(!spot->hazard.maxUptimeHours);
    QCOMPARE(preemptible->hazard.maxUptimeHours, std::optional<double>(24.0));
    QVERIFY(preemptible->expectedCostUsd() > spot->expectedCostUsd());
    QVERIFY(preemptible->simulation.meanPreemptions > spot->simulation.meanPreemptions);
    // Even at λ = 0 the interval leaves room for restart + segment + checkpoint within 24 h.
    r.hazard.overrideRatePerHour = 0.0;
    const auto calm = planOffer(gcp, r);
    QVERIFY(calm->shape.restartHours + calm->shape.intervalHours + calm->shape.checkpointHours <= 24.0);
    QVERIFY(calm->shape.intervalHours < 40.0);
  }

  void fallbackBoundsTheCostOfAHopelessOffer() {
    const Offer risky = syntheticOffer(CloudProvider::Aws, "g5.xlarge", 1.0, 3.0);
    PlanRequest r = fortyHours();
    r.hazard.overrideRatePerHour = 50.0;  // a preemption every 72 s
    r.intervalHours = 20.0;                // and a fixed 20 h interval: never finishes on spot
    const auto hopeless = planOffer(risky, r);
    QVERIFY(!hopeless);
    QCOMPARE(hopeless.error().code, spotwise::ErrorCode::FailedPrecondition);
    QVERIFY2(hopeless.error().message.find("not expected to finish") != std::string::npos, hopeless.error().message.c_str());
    QVERIFY(hopeless.error().message.find("nan") == std::string::npos);
    // planOffers lists it as skipped rather than failing the whole ranking.
    const auto ranking = planOffers({risky, syntheticOffer(CloudProvider::Aws, "g5.2xlarge", 1.2, 3.0)}, r);
    QVERIFY(ranking);
    QCOMPARE(ranking->skipped.size(), std::size_t(2));
    QVERIFY(ranking->offers.empty());
    r.fallbackAfterPreemptions = 2;
    const auto rescued = planOffer(risky, r);
    QVERIFY(rescued);
    verifyFinite(*rescued);
    QVERIFY(!rescued->analyticHours);  // Daly's expectation is unbounded here...
    QVERIFY(rescued->simulation.fallbackShare > 0.99);  // ...but the fallback finishes on on-demand
    QVERIFY(rescued->simulation.meanPreemptions <= 2.0);
  }

  void offersWithoutSpotPriceAreNotCandidates() {
    Offer noSpot = syntheticOffer(CloudProvider::Azure, "nd", 1.0, 3.0);
    noSpot.spot.reset();
    Offer other = syntheticOffer(CloudProvider::Azure, "nc", 1.0, 3.0);
    other.gpuCount = 2;
    PlanRequest r = fortyHours();
    r.gpuModel = "a100-80gb";
    QVERIFY(candidateOffers({noSpot, other}, r).empty());
    QCOMPARE(candidateOffers({syntheticOffer(CloudProvider::Azure, "nc", 1.0, std::nullopt)}, r).size(), std::size_t(1));
    const auto p = planOffer(noSpot, r);
    QVERIFY(!p);
    QVERIFY(p.error().message.find("no spot price") != std::string::npos);
  }

  void defaultRestartTimesPerProviderAndImage() {
    QCOMPARE(defaultRestartMinutes(CloudProvider::Aws, ImageKind::DriverPreinstalled), 6.0);
    QCOMPARE(defaultRestartMinutes(CloudProvider::Gcp, ImageKind::DriverPreinstalled), 5.0);
    QCOMPARE(defaultRestartMinutes(CloudProvider::Azure, ImageKind::DriverInstalledAtBoot), 16.0);
    const auto p = planOffer(syntheticOffer(CloudProvider::Azure, "nc", 1.0, 3.0), fortyHours());
    QCOMPARE(p->shape.restartHours, 8.0 / 60.0);
  }
};

QTEST_APPLESS_MAIN(PlannerTest)
#include "PlannerTest.moc"
