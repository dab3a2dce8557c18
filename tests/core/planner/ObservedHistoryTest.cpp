// Preemption rates learned from a real SQLite job ledger (core/ledger), fed into the planner's hazard.
#include "TestSupport.h"

#include <QTemporaryDir>

#include "core/ledger/Ledger.h"
#include "core/planner/ObservedHistory.h"
#include "core/planner/Planner.h"

using namespace spotwise;
using namespace spotwise::planner;

namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kT0 = 1'790'000'000'000;  // Unix ms

ledger::AttemptRecord attempt(const std::string& job, int number, const std::string& zone, std::int64_t startMs, std::int64_t endMs,
                              const std::string& cause, bool spot = true, const std::string& type = "g5.xlarge") {
  ledger::AttemptRecord a;
  a.jobId = job;
  a.number = number;
  a.provider = "aws";
  a.region = "us-east-1";
  a.zone = zone;
  a.instanceType = type;
  a.spot = spot;
  a.requestedMs = startMs > 0 ? startMs - 1000 : kT0;
  a.startMs = startMs;
  a.endMs = endMs;
  a.endCause = cause;
  return a;
}

pricing::Offer offer(const std::string& zone, const std::string& type = "g5.xlarge") {
  pricing::Offer o;
  o.provider = pricing::CloudProvider::Aws;
  o.region = "us-east-1";
  o.zone = zone;
  o.instanceType = type;
  o.gpuModel = "A10G";
  o.gpuCount = 1;
  o.spot = pricing::Price{0.5, "test", 0};
  o.onDemand = pricing::Price{1.0, "test", 0};
  return o;
}

}  // namespace

class ObservedHistoryTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void learnsPerOfferFromARealLedgerFile() {
    QTemporaryDir dir;
    const auto file = dir.filePath(QStringLiteral("ledger.sqlite")).toStdString();
    {
      auto ledger = ledger::Ledger::open(file);
      QVERIFY2(ledger, ledger ? "" : ledger.error().message.c_str());
      for (const char* id : {"job-a", "job-b"}) {
        ledger::JobRecord job;
        job.id = id;
        job.name = id;
        job.provider = "aws";
        job.specJson = "{}";
        job.state = "running";
        job.createdMs = kT0;
        job.updatedMs = kT0;
        QVERIFY((*ledger)->insertJob(job));
      }
      // job-a: 10 h preempted in 1a, 5 h preempted in 1b, then 3 h succeeded in 1a.
      QVERIFY((*ledger)->upsertAttempt(attempt("job-a", 1, "us-east-1a", kT0, kT0 + 10 * kHourMs, "preempted")));
      QVERIFY((*ledger)->upsertAttempt(attempt("job-a", 2, "us-east-1b", kT0 + 11 * kHourMs, kT0 + 16 * kHourMs, "preempted")));
      QVERIFY((*ledger)->upsertAttempt(attempt("job-a", 3, "us-east-1a", kT0 + 17 * kHourMs, kT0 + 20 * kHourMs, "succeeded")));
      // job-b: a refused launch (never started), an on-demand fallback, and a spot attempt still running.
      QVERIFY((*ledger)->upsertAttempt(attempt("job-b", 1, "us-east-1a", 0, kT0 + kHourMs, "capacity")));
      QVERIFY((*ledger)->upsertAttempt(attempt("job-b", 2, "us-east-1a", kT0 + 2 * kHourMs, kT0 + 50 * kHourMs, "preempted", false)));
      QVERIFY((*ledger)->upsertAttempt(attempt("job-b", 3, "us-east-1a", kT0 + 30 * kHourMs, 0, "")));
      // Another machine type in the same zone stays apart.
      QVERIFY((*ledger)->upsertAttempt(attempt("job-b", 4, "us-east-1a", kT0, kT0 + kHourMs, "preempted", true, "p4d.24xlarge")));
    }
    auto ledger = ledger::Ledger::open(file);
    QVERIFY(ledger);
    const std::int64_t now = kT0 + 32 * kHourMs;  // job-b's attempt 3 has run 2 h
    auto history = ObservedHistory::fromLedger(**ledger, now);
    QVERIFY2(history, history ? "" : history.error().message.c_str());
    QCOMPARE(history->attempts(), 5);

    // Zone 1a: 10 + 3 + 2 = 15 h, 1 preemption. Zone 1b: 5 h, 1. The region-level offer sums both.
    const auto zoneA = history->forOffer(offer("us-east-1a"));
    QVERIFY(zoneA);
    QCOMPARE(zoneA->preemptions, 1);
    QCOMPARE(zoneA->instanceHours, 15.0);
    const auto region = history->forOffer(offer(""));
    QVERIFY(region);
    QCOMPARE(region->preemptions, 2);
    QCOMPARE(region->instanceHours, 20.0);
    QCOMPARE(history->forOffer(offer("", "p4d.24xlarge"))->preemptions, 1);
    // A zone without attempts of its own (or named by zone ID) gets the machine's record in the region.
    QCOMPARE(history->forOffer(offer("use1-az4"))->preemptions, 2);
    QCOMPARE(history->forOffer(offer("use1-az4"))->instanceHours, 20.0);
    QVERIFY(!history->forOffer(offer("", "g4dn.xlarge")));

    // Through the planner: the offer's rate is learned, with the observations behind it.
    HazardSettings settings;
    settings.history = history->hook();
    const auto hazard = resolveHazard(offer(""), settings);
    QVERIFY(hazard);
    QCOMPARE(hazard->source, HazardSource::Observed);
    QCOMPARE(hazard->observations, 2);
    QCOMPARE(hazard->observedHours, 20.0);
    QVERIFY2(hazard->basis.find("2 preemption(s) in 20.0 instance-hours") != std::string::npos, hazard->basis.c_str());
    // No band on the offer: the assumed AWS rate (typical 10 %/day) weighs as 24 h.
    QVERIFY(std::abs(hazard->ratePerHour - (2.0 - std::log(0.9)) / 44.0) < 1e-12);
  }

  void emptyLedgerLearnsNothing() {
    QTemporaryDir dir;
    auto ledger = ledger::Ledger::open(dir.filePath(QStringLiteral("empty.sqlite")).toStdString());
    QVERIFY(ledger);
    auto history = ObservedHistory::fromLedger(**ledger, kT0);
    QVERIFY(history);
    QCOMPARE(history->attempts(), 0);
    HazardSettings settings;
    settings.history = history->hook();
    QCOMPARE(resolveHazard(offer(""), settings)->source, HazardSource::ProviderDefault);
  }
};

QTEST_APPLESS_MAIN(ObservedHistoryTest)
#include "ObservedHistoryTest.moc"
