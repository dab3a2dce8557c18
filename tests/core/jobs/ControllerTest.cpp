// The controller against an in-memory provider and a manual clock: no real sleeps, every path of
// launch, supervision, recovery, budget, stop and start-up reconciliation.
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "FakeProvider.h"
#include "TestSupport.h"
#include "core/jobs/Controller.h"
#include "core/jobs/Spend.h"

using namespace spotwise;
using namespace spotwise::jobs;
using spotwise::test::FakeProvider;

namespace {

struct Rig {
  QTemporaryDir dir;
  ManualClock clock;
  FakeProvider provider{clock};
  test::SingleProviderDirectory directory{provider};
  test::FakeBootstrapper bootstrapper;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<Controller> controller;
  std::vector<Placement> alternatives;
  ControllerConfig config;

  Rig() {
    config.pollIntervalMs = 30'000;
    config.bootTimeoutMs = 10 * 60'000;
    config.heartbeatTimeoutMs = 5 * 60'000;
    config.terminationLatencyMs = 60'000;
    config.seed = 42;
    std::filesystem::create_directories(codeDir());
    open();
  }
  void open() {
    controller.reset();
    ledger.reset();
    auto l = ledger::Ledger::open(std::filesystem::path(dir.path().toStdString()) / "ledger.sqlite");
    if (!l) qFatal("%s", l.error().message.c_str());
    ledger = std::move(*l);
    controller = std::make_unique<Controller>(*ledger, directory, bootstrapper, clock, config,
                                              [this](const JobSpec&) { return alternatives; });
  }
  std::filesystem::path codeDir() const { return std::filesystem::path(dir.path().toStdString()) / "code"; }

  JobSpec spec() const {
    JobSpec s;
    s.name = "train";
    s.offer = {"aws", "us-east-1", "", "g4dn.xlarge", true, 3.6, 7.2, "T4", 1};  // $0.001/s spot
    s.codeDir = codeDir();
    s.command = "python3 train.py";
    s.storage = "s3://bucket/runs";
    s.budgetUsd = 100.0;
    return s;
  }
  std::string submit(const JobSpec& s) {
    auto id = controller->submit(s);
    if (!id) qFatal("%s", id.error().message.c_str());
    return *id;
  }
  TickReport tick() {
    auto r = controller->tick();
    if (!r) qFatal("tick: %s", r.error().message.c_str());
    return *r;
  }
  ledger::JobRecord job(const std::string& id) { return ledger->job(id).value().value(); }
  std::string state(const std::string& id) { return job(id).state; }
  std::vector<ledger::AttemptRecord> attempts(const std::string& id) { return ledger->attempts(id).value(); }
  void status(const std::string& id, const std::string& state, int attempt, std::int64_t step,
              nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json j{{"state", state}, {"attempt", attempt}, {"step", step}, {"total", 1000},
                     {"loss", 0.5},    {"updated_at", static_cast<double>(clock.nowMs()) / 1000.0}};
    j.update(extra);
    provider.objects["runs/" + id + "/status.json"] = j.dump();
  }
  std::string instanceOf(const std::string& id) { return attempts(id).back().instanceId; }
  void expectConsistent() {
    const auto problems = ledger->checkConsistency().value();
    for (const auto& p : problems) qWarning("%s", p.c_str());
    QVERIFY(problems.empty());
  }
};

}  // namespace

class ControllerTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void submitRejectsAnInvalidSpec() {
    Rig rig;
    JobSpec s = rig.spec();
    s.command.clear();
    auto r = rig.controller->submit(s);
    QVERIFY(!r.ok());
    QVERIFY(r.error().message.find("command: is empty") != std::string::npos);
    QVERIFY(rig.ledger->jobs().value().empty());
  }

  void happyPathToSucceededWithSpend() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    QCOMPARE(rig.state(id), std::string("Draft"));
    rig.tick();  // Draft → Packaging → Launching → Booting in one poll
    QCOMPARE(rig.state(id), std::string("Booting"));
    QVERIFY(rig.provider.objects.contains("runs/" + id + "/code.tar.gz"));
    QCOMPARE(rig.provider.launches.size(), std::size_t(1));
    const auto& launch = rig.provider.launches[0];
    QCOMPARE(launch.jobId, id);
    QCOMPARE(launch.attempt, 1);
    QVERIFY(launch.spot);
    QCOMPARE(launch.clientToken(), "spotwise-" + id + "-1");
    QVERIFY(launch.startupScript.find("attempt 1") != std::string::npos);
    // Intent written before, outcome after.
    const auto intents = rig.ledger->intents(id).value();
    QCOMPARE(intents.size(), std::size_t(1));
    QCOMPARE(intents[0].operation, std::string("launch"));
    QCOMPARE(intents[0].outcome, std::string("ok"));
    QCOMPARE(intents[0].detail, rig.instanceOf(id));

    rig.clock.advanceMs(30'000);
    rig.status(id, "running", 1, 10);
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Running"));
    QCOMPARE(rig.job(id).step, std::int64_t(10));
    QCOMPARE(rig.job(id).totalSteps, std::int64_t(1000));

    rig.clock.advanceMs(570'000);  // 600 s after launch
    rig.status(id, "succeeded", 1, 1000);
    rig.provider.instances.at(rig.instanceOf(id)).state = cloud::InstanceState::Terminated;  // agent powered off
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Succeeded"));
    const auto a = rig.attempts(id);
    QCOMPARE(a.size(), std::size_t(1));
    QCOMPARE(a[0].endCause, std::string("succeeded"));
    QCOMPARE(a[0].endMs - a[0].startMs, std::int64_t(600'000));
    const auto spend = computeSpend(a, rig.clock.nowMs());
    QVERIFY(qFuzzyCompare(spend.totalUsd, 0.6));
    QCOMPARE(spend.burnUsdPerHour, 0.0);
    QVERIFY(rig.provider.running().empty());
    QVERIFY(!rig.ledger->spendSamples(id).value().empty());
    rig.expectConsistent();
  }

  void preemptionRelaunchesAtOnceWithTheNextAttempt() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    rig.status(id, "running", 1, 100, {{"checkpoint_step", 100}});
    rig.clock.advanceMs(30'000);
    rig.tick();
    const auto first = rig.instanceOf(id);
    // Notice: the agent uploads its last checkpoint and says so.
    rig.clock.advanceMs(30'000);
    rig.status(id, "preempted", 1, 130, {{"checkpoint_step", 130}});
    const auto launchesBefore = rig.provider.launches.size();
    const auto noticeSeenAt = rig.clock.nowMs();
    const auto report = rig.tick();
    QCOMPARE(rig.provider.launches.size(), launchesBefore + 1);  // replacement requested in the same poll
    QCOMPARE(rig.clock.nowMs() - noticeSeenAt, std::int64_t(0));
    QCOMPARE(rig.state(id), std::string("Booting"));
    const auto& relaunch = rig.provider.launches.back();
    QCOMPARE(relaunch.attempt, 2);
    QCOMPARE(relaunch.jobId, id);
    QCOMPARE(relaunch.region, std::string("us-east-1"));  // same region first
    QVERIFY(relaunch.clientToken() != rig.provider.launches.front().clientToken());
    QCOMPARE(rig.provider.instances.at(first).state, cloud::InstanceState::Terminated);  // nothing left of attempt 1
    QVERIFY(report.transitions.size() >= 3);  // Running→Preempted→Relaunching→Booting
    auto a = rig.attempts(id);
    QCOMPARE(a.size(), std::size_t(2));
    QCOMPARE(a[0].endCause, std::string("preempted"));
    QCOMPARE(a[0].lastStep, std::int64_t(130));
    // Attempt 2 resumes from 120 (say LATEST was 120): attempt 1 lost 10 steps.
    rig.clock.advanceMs(30'000);
    rig.status(id, "running", 2, 121, {{"resumed_from_step", 120}});
    rig.tick();
    a = rig.attempts(id);
    QCOMPARE(a[0].workLostSteps, std::int64_t(10));
    QVERIFY(a[0].workLostSeconds > 0);
    QCOMPARE(rig.state(id), std::string("Running"));
    rig.expectConsistent();
  }

  void reclaimWithoutNoticeIsAPreemptionToo() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    rig.status(id, "running", 1, 5);
    rig.tick();
    rig.provider.reclaim(rig.instanceOf(id));
    rig.clock.advanceMs(30'000);
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Booting"));
    QCOMPARE(rig.attempts(id).size(), std::size_t(2));
    QCOMPARE(rig.attempts(id)[0].endCause, std::string("preempted"));
  }

  void movesToTheNextCheapestOfferAfterKAndOnDemandAfterM() {
    Rig rig;
    rig.alternatives = {{"us-west-2", "", "g4dn.xlarge", true, 4.0}, {"eu-west-1", "", "g4dn.xlarge", true, 3.8}};
    JobSpec s = rig.spec();
    s.recovery.moveAfterPreemptions = 1;
    s.recovery.onDemandAfterPreemptions = 2;
    const auto id = rig.submit(s);
    rig.tick();
    for (int n = 1; n <= 2; ++n) {
      rig.status(id, "running", n, 1);
      rig.tick();
      rig.clock.advanceMs(30'000);
      rig.status(id, "preempted", n, 2);
      rig.tick();
    }
    const auto& l = rig.provider.launches;
    QCOMPARE(l.size(), std::size_t(3));
    QCOMPARE(l[0].region, std::string("us-east-1"));
    QCOMPARE(l[1].region, std::string("eu-west-1"));  // next-cheapest after K=1
    QVERIFY(l[1].spot);
    QVERIFY(!l[2].spot);                               // on-demand after M=2
    QCOMPARE(rig.attempts(id)[2].pricePerHour, 7.2);
  }

  void maxAttemptsEndsInFailed() {
    Rig rig;
    JobSpec s = rig.spec();
    s.recovery.maxAttempts = 2;
    const auto id = rig.submit(s);
    rig.tick();
    for (int n = 1; n <= 2; ++n) {
      rig.status(id, "running", n, 1);
      rig.tick();
      rig.status(id, "preempted", n, 2);
      rig.tick();
    }
    QCOMPARE(rig.state(id), std::string("Failed"));
    QVERIFY(rig.job(id).stateMessage.find("allows 2 attempts") != std::string::npos);
    QCOMPARE(rig.provider.launches.size(), std::size_t(2));
    QVERIFY(rig.provider.running().empty());
    rig.expectConsistent();
  }

  void capacityErrorBacksOffWithJitterAndTriesTheNextRegion() {
    Rig rig;
    rig.alternatives = {{"us-west-2", "", "g4dn.xlarge", true, 4.0}};
    Error capacity = makeError(ErrorCode::ResourceExhausted, "RunInstances: no capacity");
    capacity.providerCode = "InsufficientInstanceCapacity";
    rig.provider.launchErrors = {capacity};
    const auto id = rig.submit(rig.spec());
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Launching"));
    const auto wait = rig.job(id).nextActionMs - rig.clock.nowMs();
    QVERIFY(wait >= 7'500 && wait <= 15'000);  // first back-off: [½, 1] × 15 s
    QCOMPARE(rig.attempts(id)[0].endCause, std::string("capacity"));
    rig.tick();  // still backing off: no call
    QCOMPARE(rig.provider.launches.size(), std::size_t(1));
    rig.clock.advanceMs(wait);
    rig.tick();
    QCOMPARE(rig.provider.launches.size(), std::size_t(2));
    QCOMPARE(rig.provider.launches[1].region, std::string("us-west-2"));
    QCOMPARE(rig.provider.launches[1].attempt, 2);
    QCOMPARE(rig.state(id), std::string("Booting"));
    rig.expectConsistent();
  }

  void capacityRetriesRunOut() {
    Rig rig;
    JobSpec s = rig.spec();
    s.recovery.maxCapacityRetries = 2;
    Error capacity = makeError(ErrorCode::ResourceExhausted, "RunInstances: no capacity");
    rig.provider.launchErrors = {capacity, capacity, capacity};
    const auto id = rig.submit(s);
    for (int i = 0; i < 5; ++i) {
      rig.tick();
      rig.clock.advanceMs(10 * 60'000);
    }
    QCOMPARE(rig.state(id), std::string("Failed"));
    QVERIFY(rig.job(id).stateMessage.find("no capacity after 3 tries") != std::string::npos);
  }

  void fatalLaunchErrorFails() {
    Rig rig;
    rig.provider.launchErrors = {makeError(ErrorCode::PermissionDenied, "RunInstances: not authorized")};
    const auto id = rig.submit(rig.spec());
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Failed"));
    QVERIFY(rig.job(id).stateMessage.find("not authorized") != std::string::npos);
    rig.expectConsistent();
  }

  void packagingFailureFails() {
    Rig rig;
    rig.bootstrapper.failPackage = true;
    rig.bootstrapper.packageError = makeError(ErrorCode::PermissionDenied, "PutObject: access denied to bucket");
    const auto id = rig.submit(rig.spec());
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Failed"));
    QVERIFY(rig.job(id).stateMessage.find("access denied") != std::string::npos);
    QVERIFY(rig.provider.launches.empty());
  }

  void transientLaunchErrorRetriesSameAttemptWithoutDuplicate() {
    Rig rig;
    rig.provider.launchThenFailTransient = true;  // the instance starts, the answer is lost
    rig.provider.honourClientToken = false;       // like moto: a repeat would start a second one
    const auto id = rig.submit(rig.spec());
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Launching"));
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Booting"));
    QCOMPARE(rig.provider.running().size(), std::size_t(1));  // found by tag and adopted, not relaunched
    QCOMPARE(rig.attempts(id).size(), std::size_t(1));
    QCOMPARE(rig.provider.launches.size(), std::size_t(1));
    rig.expectConsistent();
  }

  void stuckBootFailsAndTerminates() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    rig.status(id, "booting", 1, -1);
    rig.clock.advanceMs(9 * 60'000);
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Booting"));
    rig.clock.advanceMs(2 * 60'000);
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Failed"));
    QVERIFY(rig.job(id).stateMessage.find("did not report within 10 min") != std::string::npos);
    QVERIFY(rig.provider.running().empty());
    QCOMPARE(rig.attempts(id)[0].endCause, std::string("boot-timeout"));
    rig.expectConsistent();
  }

  void silentAgentFailsAndTerminates() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    rig.status(id, "running", 1, 1);
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Running"));
    rig.clock.advanceMs(4 * 60'000);
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Running"));
    rig.clock.advanceMs(2 * 60'000);
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Failed"));
    QVERIFY(rig.job(id).stateMessage.find("no heartbeat") != std::string::npos);
    QVERIFY(rig.provider.running().empty());
  }

  void programFailureFailsWithItsExitCode() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    rig.status(id, "failed", 1, 0, {{"exit_code", 2}, {"message", "No module named torch"}});
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Failed"));
    QVERIFY(rig.job(id).stateMessage.find("exit code 2") != std::string::npos);
    QVERIFY(rig.job(id).stateMessage.find("torch") != std::string::npos);
    QVERIFY(rig.provider.running().empty());
  }

  void onDemandInstanceEndingSilentlyIsLost() {
    Rig rig;
    JobSpec s = rig.spec();
    s.offer.spot = false;
    s.offer.pricePerHour = 7.2;
    const auto id = rig.submit(s);
    rig.tick();
    rig.status(id, "running", 1, 1);
    rig.tick();
    auto& inst = rig.provider.instances.at(rig.instanceOf(id));
    inst.state = cloud::InstanceState::Terminated;
    inst.endReason = cloud::EndReason::Error;
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Failed"));
  }

  void budgetStopsBeforeTheNextPollWouldCrossIt() {
    Rig rig;
    JobSpec s = rig.spec();
    s.budgetUsd = 3.6;  // one hour at $3.60/h
    const auto id = rig.submit(s);
    rig.tick();
    int polls = 0;
    while (rig.state(id) != "BudgetExceeded" && polls++ < 500) {
      rig.clock.advanceMs(rig.config.pollIntervalMs);
      rig.status(id, "running", 1, polls);
      rig.tick();
    }
    QCOMPARE(rig.state(id), std::string("BudgetExceeded"));
    QVERIFY(rig.provider.running().empty());
    const auto spend = computeSpend(rig.attempts(id), rig.clock.nowMs());
    QVERIFY2(spend.totalUsd <= s.budgetUsd, std::to_string(spend.totalUsd).c_str());
    // ... and it did not stop more than one poll plus the termination margin early.
    QVERIFY(spend.totalUsd > s.budgetUsd - 3.6 * (30 + 60 + 30) / 3600.0);
  }

  void stopWaitsForTheProviderToConfirm() {
    Rig rig;
    rig.provider.describesUntilTerminated = 2;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    rig.status(id, "running", 1, 1);
    rig.tick();
    QVERIFY(rig.controller->requestStop(id).ok());
    rig.tick();  // terminate requested; the provider still says Stopping
    QCOMPARE(rig.state(id), std::string("Running"));
    QCOMPARE(rig.provider.calls["terminate"], 1);
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Stopped"));
    QVERIFY(rig.provider.running().empty());
    QCOMPARE(rig.attempts(id)[0].endCause, std::string("stopped"));
    const auto intents = rig.ledger->intents(id).value();
    QCOMPARE(intents.back().operation, std::string("terminate"));
    QCOMPARE(intents.back().outcome, std::string("ok"));
    QVERIFY(!rig.controller->requestStop(id).ok());  // already ended
    rig.expectConsistent();
  }

  void stopBeforeLaunchAndDuringBackoffEndsAtOnce() {
    Rig rig;
    const auto draft = rig.submit(rig.spec());
    QVERIFY(rig.controller->requestStop(draft).ok());
    QCOMPARE(rig.state(draft), std::string("Stopped"));
    rig.provider.launchErrors = {makeError(ErrorCode::ResourceExhausted, "RunInstances: no capacity")};
    const auto waiting = rig.submit(rig.spec());
    rig.tick();
    QCOMPARE(rig.state(waiting), std::string("Launching"));
    QVERIFY(rig.controller->requestStop(waiting).ok());
    rig.tick();
    QCOMPARE(rig.state(waiting), std::string("Stopped"));
    QCOMPARE(rig.provider.launches.size(), std::size_t(1));
    rig.expectConsistent();
  }

  void maxRuntimeEndsTheJob() {
    Rig rig;
    JobSpec s = rig.spec();
    s.maxRuntimeSeconds = 120;
    const auto id = rig.submit(s);
    rig.tick();
    for (int i = 0; i < 6; ++i) {
      rig.clock.advanceMs(30'000);
      rig.status(id, "running", 1, i);
      rig.tick();
    }
    QCOMPARE(rig.state(id), std::string("Failed"));
    QVERIFY(rig.job(id).stateMessage.find("maximum runtime") != std::string::npos);
    QVERIFY(rig.provider.running().empty());
  }

  void reconcileAdoptsALaunchTheLedgerNeverSaw() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    rig.provider.launchErrors = {makeError(ErrorCode::Unavailable, "RunInstances: timeout")};
    rig.tick();  // attempt 1 open, launch outcome unknown
    QCOMPARE(rig.state(id), std::string("Launching"));
    // Meanwhile the launch did happen (e.g. the answer was lost when the app was killed).
    rig.provider.addInstance(id, 1);
    rig.open();  // "restart"
    auto report = rig.controller->reconcile();
    QVERIFY(report.ok());
    QCOMPARE(report->reattached, std::vector<std::string>{id});
    QVERIFY(report->orphans.empty());
    QCOMPARE(rig.state(id), std::string("Booting"));
    rig.tick();
    QCOMPARE(rig.provider.launches.size(), std::size_t(1));  // never launched twice
    QCOMPARE(rig.provider.running().size(), std::size_t(1));
    rig.expectConsistent();
  }

  void reconcileReportsOrphansWithCostAndCleansEndedAttempts() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    rig.status(id, "running", 1, 1);
    rig.tick();
    rig.clock.advanceMs(3600'000);
    auto& stranger = rig.provider.addInstance("job-unknown", 1);
    stranger.launchedAtUnix = rig.clock.nowMs() / 1000 - 1800;
    rig.provider.addInstance(id, 0);  // a leftover of an earlier attempt of a live job
    rig.open();
    auto report = rig.controller->reconcile();
    QVERIFY(report.ok());
    QCOMPARE(report->reattached, std::vector<std::string>{id});
    QCOMPARE(report->orphans.size(), std::size_t(1));
    QCOMPARE(report->orphans[0].instance.jobId, std::string("job-unknown"));
    QCOMPARE(report->cleaned.size(), std::size_t(1));
    QVERIFY(rig.controller->terminateOrphans(report->orphans).ok());
    QCOMPARE(rig.provider.running().size(), std::size_t(1));  // only the live job's instance
  }

  void orphanCostUsesTheLedgerPrice() {
    Rig rig;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    QVERIFY(rig.controller->requestStop(id).ok());
    rig.tick();
    QCOMPARE(rig.state(id), std::string("Stopped"));
    // Someone restarts the instance of the ended job by hand: an orphan, priced at $3.60/h.
    auto& again = rig.provider.addInstance(id, 1);
    again.launchedAtUnix = rig.clock.nowMs() / 1000 - 1800;
    auto report = rig.controller->reconcile();
    QCOMPARE(report->orphans.size(), std::size_t(1));
    QVERIFY(qFuzzyCompare(report->orphans[0].costSoFarUsd, 1.8));
  }

  void spotPriceChangesArePickedUpEveryNPolls() {
    Rig rig;
    rig.config.priceCheckEveryPolls = 3;
    rig.open();
    double published = 3.6;
    std::int64_t since = 0;  // "not said": the change counts from when it was seen
    rig.directory.spotPrice = [&](const ledger::AttemptRecord& a) -> Result<std::optional<SpotPriceQuote>> {
      if (a.zone != "us-east-1a" || a.instanceType != "g4dn.xlarge") return makeError(ErrorCode::Internal, "wrong attempt");
      return std::optional<SpotPriceQuote>(SpotPriceQuote{published, since});
    };
    const auto id = rig.submit(rig.spec());
    rig.tick();
    const std::int64_t start = rig.attempts(id)[0].startMs;
    for (int i = 1; i <= 6; ++i) {  // 6 running polls: the price is asked for twice
      rig.clock.advanceMs(30'000);
      rig.status(id, "running", 1, i);
      if (i == 4) published = 7.2;  // doubles before the second check (poll 6)
      rig.tick();
    }
    QCOMPARE(rig.directory.priceCalls, 2);
    auto a = rig.attempts(id)[0];
    QCOMPARE(a.priceChanges.size(), std::size_t(1));  // the first check saw the launch price: no change
    QCOMPARE(a.priceChanges[0].pricePerHour, 7.2);
    const std::int64_t changedAt = a.priceChanges[0].atMs;
    QCOMPARE(changedAt, start + 6 * 30'000);
    const auto events = rig.ledger->events(id).value();
    QVERIFY(std::ranges::any_of(events, [](const ledger::EventRecord& e) {
      return e.message.find("spot price of g4dn.xlarge in us-east-1a changed from $3.6000 to $7.2000") != std::string::npos;
    }));
    // Spend: the old price until the change, the new one after.
    rig.clock.advanceMs(60'000);
    const double expected = (changedAt - start) / 1000.0 * 3.6 / 3600 + 60 * 7.2 / 3600;
    const auto spend = computeSpend(rig.attempts(id), rig.clock.nowMs());
    QVERIFY2(std::abs(spend.totalUsd - expected) < 1e-9, std::to_string(spend.totalUsd).c_str());
    QCOMPARE(spend.burnUsdPerHour, 7.2);
    // A provider that cannot say is an error of the poll, not of the job.
    // A change the provider dates (EC2's Timestamp) counts from then, not from when it was seen.
    published = 1.8;
    since = rig.clock.nowMs() - 20'000;
    for (int i = 0; i < 3; ++i) {
      rig.clock.advanceMs(30'000);
      rig.status(id, "running", 1, 7 + i);
      rig.tick();
    }
    a = rig.attempts(id)[0];
    QCOMPARE(a.priceChanges.size(), std::size_t(2));
    QCOMPARE(a.priceChanges[1].atMs, since);
    QCOMPARE(a.priceChanges[1].pricePerHour, 1.8);
    rig.directory.spotPrice = [](const ledger::AttemptRecord&) -> Result<std::optional<SpotPriceQuote>> {
      return makeError(ErrorCode::Unavailable, "DescribeSpotPriceHistory: throttled");
    };
    TickReport last;
    for (int i = 0; i < 3; ++i) {
      rig.status(id, "running", 1, 10 + i);
      last = rig.tick();
      rig.clock.advanceMs(30'000);
    }
    QVERIFY(std::ranges::any_of(last.errors, [](const std::string& e) { return e.find("spot price: ") != std::string::npos; }));
    QCOMPARE(rig.state(id), std::string("Running"));
  }

  void attemptsRecordTheRehearsalTimeLapse() {
    Rig rig;
    rig.directory.timeLapse = 60;
    const auto id = rig.submit(rig.spec());
    rig.tick();
    QCOMPARE(rig.attempts(id)[0].timeLapse, 60.0);
    rig.clock.advanceMs(10'000);
    // 10 real seconds bill 10 simulated minutes.
    QVERIFY(std::abs(computeSpend(rig.attempts(id), rig.clock.nowMs()).totalUsd - 600 * 3.6 / 3600) < 1e-9);
  }

  void apiCallsPerPollCycleFor20RunningJobs() {
    Rig rig;
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) {
      JobSpec s = rig.spec();
      if (i >= 10) s.offer.region = "us-west-2";
      ids.push_back(rig.submit(s));
    }
    rig.tick();
    for (const auto& id : ids) rig.status(id, "running", 1, 1);
    rig.tick();
    for (const auto& id : ids) QCOMPARE(rig.state(id), std::string("Running"));
    rig.provider.resetCalls();
    rig.clock.advanceMs(30'000);
    for (const auto& id : ids) rig.status(id, "running", 1, 2);
    rig.tick();
    // Two regions: 2 describe calls, plus one status.json read per job.
    QCOMPARE(rig.provider.calls["describe"], 2);
    QCOMPARE(rig.provider.calls["get"], 20);
    QCOMPARE(rig.provider.totalCalls(), 22);
    qInfo("API calls per poll cycle, 20 running jobs in 2 regions: %d", rig.provider.totalCalls());
  }
};

QTEST_APPLESS_MAIN(ControllerTest)
#include "ControllerTest.moc"
