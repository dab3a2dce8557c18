// Billing granularity per provider, spend per attempt and job, burn rate; recovery placement.
#include <cmath>
#include <random>
#include <set>

#include "TestSupport.h"
#include "core/jobs/Recovery.h"
#include "core/jobs/Spend.h"

using namespace spotwise::jobs;
using spotwise::ledger::AttemptRecord;

class SpendTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void awsPerSecondWithOneMinuteMinimum() {
    const auto aws = billingGranularity("aws");
    QCOMPARE(billedSeconds(aws, 0), 0.0);
    QCOMPARE(billedSeconds(aws, 5), 60.0);
    QCOMPARE(billedSeconds(aws, 61.5), 61.5);
    QCOMPARE(attemptCost("aws", 3600, 0.5), 0.5);
  }

  void gcpPerSecondWithOneMinuteMinimum() {
    QCOMPARE(billedSeconds(billingGranularity("gcp"), 30), 60.0);
    QCOMPARE(billedSeconds(billingGranularity("gcp"), 90.25), 90.25);
  }

  void azureWholeMinutesOnly() {
    // Microsoft's example: 6 min 45 s is billed as 6 minutes.
    QCOMPARE(billedSeconds(billingGranularity("azure"), 6 * 60 + 45), 360.0);
    QCOMPARE(billedSeconds(billingGranularity("azure"), 120), 120.0);
  }

  void localIsExact() { QCOMPARE(billedSeconds(billingGranularity("local"), 12.5), 12.5); }

  void jobSpendSumsAttemptsAndBurnsOnlyWhileOpen() {
    AttemptRecord a1;
    a1.provider = "aws";
    a1.pricePerHour = 3.6;  // $0.001 per second
    a1.startMs = 1'000'000;
    a1.endMs = 1'000'000 + 600'000;  // 600 s
    AttemptRecord refused = a1;       // capacity refusal: never started
    refused.startMs = 0;
    refused.endMs = 2'000'000;
    AttemptRecord a3 = a1;
    a3.startMs = 3'000'000;
    a3.endMs = 0;  // running
    a3.pricePerHour = 7.2;
    const auto s = computeSpend({a1, refused, a3}, 3'000'000 + 100'000);  // a3 ran 100 s
    QCOMPARE(s.perAttemptUsd.size(), std::size_t(3));
    QVERIFY(qFuzzyCompare(s.perAttemptUsd[0], 0.6));
    QCOMPARE(s.perAttemptUsd[1], 0.0);
    QVERIFY(qFuzzyCompare(s.perAttemptUsd[2], 0.2));
    QVERIFY(qFuzzyCompare(s.totalUsd, 0.8));
    QCOMPARE(s.burnUsdPerHour, 7.2);
    QCOMPARE(s.perAttemptSeconds[2], 100.0);
  }

  void spotPriceChangesAreBilledPerInterval() {
    AttemptRecord a;
    a.provider = "aws";
    a.startMs = 1'000'000;
    a.instanceId = "i-1";
    a.pricePerHour = 0.36;                     // $0.0001/s for the first 10 minutes
    a.priceChanges = {{1'600'000, 0.72}, {2'200'000, 0.18}};  // then doubled for 10 min, then halved
    a.goneMs = 2'800'000;                      // 30 minutes in all
    QCOMPARE(priceAt(a, 1'500'000), 0.36);
    QCOMPARE(priceAt(a, 1'600'000), 0.72);
    QCOMPARE(priceAt(a, 5'000'000), 0.18);
    const double expected = 600 * 0.36 / 3600 + 600 * 0.72 / 3600 + 600 * 0.18 / 3600;
    QVERIFY(std::abs(attemptCost(a, a.goneMs) - expected) < 1e-12);
    QVERIFY(std::abs(computeSpend({a}, 9'999'999).totalUsd - expected) < 1e-12);
    // While running, the burn rate is the price in effect now.
    AttemptRecord open = a;
    open.goneMs = 0;
    QCOMPARE(computeSpend({open}, 1'700'000).burnUsdPerHour, 0.72);
    // A change after the end does not count; the one-minute minimum is charged at the last price.
    AttemptRecord brief = a;
    brief.goneMs = 1'010'000;  // 10 s
    brief.priceChanges = {{1'005'000, 0.72}, {1'020'000, 3.6}};
    QVERIFY(std::abs(attemptCost(brief, brief.goneMs) - (5 * 0.36 + 5 * 0.72 + 50 * 0.72) / 3600) < 1e-12);
  }

  void timeLapseRehearsalBillsSimulatedSeconds() {
    AttemptRecord a;
    a.provider = "local";
    a.startMs = 1'000;
    a.instanceId = "local-1";
    a.pricePerHour = 3.6;  // $0.001 per simulated second
    a.timeLapse = 60;      // one real second is a simulated minute
    a.goneMs = 31'000;     // 30 real seconds = 30 simulated minutes
    const auto spend = computeSpend({a}, 40'000);
    QVERIFY(std::abs(spend.totalUsd - 1.8) < 1e-12);
    QCOMPARE(spend.perAttemptSeconds[0], 30.0);  // running time stays real
    a.goneMs = 0;
    QCOMPARE(computeSpend({a}, 11'000).burnUsdPerHour, 3.6 * 60);
  }

  void placementStaysThenMovesThenFallsBack() {
    JobSpec spec;
    spec.offer = {"aws", "us-east-1", "", "g4dn.xlarge", true, 0.20, 0.53, "T4", 1};
    spec.recovery.moveAfterPreemptions = 2;
    spec.recovery.onDemandAfterPreemptions = 4;
    const std::vector<Placement> alternatives{{"us-west-2", "", "g4dn.xlarge", true, 0.25},
                                              {"eu-west-1", "", "g4dn.xlarge", true, 0.22},
                                              {"us-east-1", "", "g4dn.xlarge", false, 0.53}};
    auto preempted = [](const Placement& p) {
      AttemptRecord a;
      a.region = p.region;
      a.zone = p.zone;
      a.instanceType = p.instanceType;
      a.spot = p.spot;
      a.pricePerHour = p.pricePerHour;
      a.endCause = "preempted";
      return a;
    };
    std::vector<AttemptRecord> history;
    QCOMPARE(choosePlacement(spec, history, alternatives).region, std::string("us-east-1"));
    history.push_back(preempted(primaryPlacement(spec)));
    QCOMPARE(choosePlacement(spec, history, alternatives).region, std::string("us-east-1"));  // K=2: stay once more
    history.push_back(preempted(primaryPlacement(spec)));
    const auto third = choosePlacement(spec, history, alternatives);
    QCOMPARE(third.region, std::string("eu-west-1"));  // next-cheapest spot offer
    QCOMPARE(third.pricePerHour, 0.22);
    history.push_back(preempted(third));
    QCOMPARE(choosePlacement(spec, history, alternatives).region, std::string("eu-west-1"));
    history.push_back(preempted(third));
    const auto fifth = choosePlacement(spec, history, alternatives);  // M=4 preemptions: on-demand
    QVERIFY(!fifth.spot);
    QCOMPARE(fifth.pricePerHour, 0.53);
  }

  void capacityRefusalMovesToTheNextPlacement() {
    JobSpec spec;
    spec.offer = {"aws", "us-east-1", "", "g4dn.xlarge", true, 0.20, std::nullopt, "T4", 1};
    const std::vector<Placement> alternatives{{"us-west-2", "", "g4dn.xlarge", true, 0.25}};
    AttemptRecord refused;
    refused.region = "us-east-1";
    refused.instanceType = "g4dn.xlarge";
    refused.pricePerHour = 0.20;
    refused.endCause = "capacity";
    refused.endMs = 10;
    QCOMPARE(choosePlacement(spec, {refused}, alternatives).region, std::string("us-west-2"));
    AttemptRecord refused2 = refused;
    refused2.region = "us-west-2";
    refused2.pricePerHour = 0.25;
    refused2.endMs = 20;
    // Both refused: the one refused longest ago.
    QCOMPARE(choosePlacement(spec, {refused, refused2}, alternatives).region, std::string("us-east-1"));
  }

  void backoffGrowsWithJitterAndACap() {
    std::mt19937_64 rng(7);
    for (int failures = 1; failures <= 12; ++failures) {
      const std::int64_t full = std::min<std::int64_t>(15'000LL << (failures - 1), 600'000);
      for (int i = 0; i < 50; ++i) {
        const auto d = capacityBackoffMs(failures, 15'000, 600'000, rng);
        QVERIFY(d >= full / 2 && d <= full);
      }
    }
    QCOMPARE(capacityBackoffMs(0, 15'000, 600'000, rng), std::int64_t(0));
    // Jitter: not all equal.
    std::set<std::int64_t> seen;
    for (int i = 0; i < 20; ++i) seen.insert(capacityBackoffMs(3, 15'000, 600'000, rng));
    QVERIFY(seen.size() > 10);
  }
};

QTEST_APPLESS_MAIN(SpendTest)
#include "SpendTest.moc"
