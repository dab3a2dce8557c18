// End to end on this computer, with the real Local provider (instances are real process trees with
// a loopback metadata service), the real agent and the example workload:
//  * three injected preemptions: the job completes, its model is bit-identical to an uninterrupted
//    run, each preemption loses at most one checkpoint interval, the recorded spend matches the
//    provider's own account of the instances' lives;
//  * crash safety: `spotwise-cli` killed with SIGKILL at random points of launch, relaunch and stop,
//    a few dozen times; after each restart reconciliation finds no orphan, no duplicate, and the
//    ledger is consistent;
//  * restart: the supervising process quits mid-job; `spotwise-cli supervise` re-attaches and the
//    job finishes.
#include <QProcess>
#include <QTemporaryDir>

#include <signal.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/cloud/local/LocalProvider.h"
#include "core/jobs/AgentBootstrapper.h"
#include "core/jobs/Controller.h"
#include "core/jobs/Spend.h"
#include "core/ledger/Ledger.h"

using namespace spotwise;
namespace fs = std::filesystem;

namespace {

constexpr int kSteps = 700;
constexpr double kStepSeconds = 0.02;
constexpr int kCheckpointEvery = 25;
// Under AddressSanitizer (preset asan) every process starts and every poll runs several times
// slower: the kill windows and the spend tolerance, which are timing, widen by this factor; what
// they check (no orphan, no duplicate, spend close to the provider's record) does not change.
// gcc defines __SANITIZE_ADDRESS__; clang (the asan preset's compiler) only answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define SPOTWISE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPOTWISE_TEST_ASAN 1
#endif
#endif
#if defined(SPOTWISE_TEST_ASAN)
constexpr int kSlowdown = 3;
#else
constexpr int kSlowdown = 1;
#endif

std::string trainCommand(int steps = kSteps) {
  return "python3 train.py --steps " + std::to_string(steps) + " --step-seconds " + std::to_string(kStepSeconds) +
         " --checkpoint-every " + std::to_string(kCheckpointEvery);
}

fs::path cliPath() {
  const char* dir = std::getenv("SPOTWISE_BINARY_DIR");
  return fs::path(dir ? dir : ".") / "app" / "spotwise-cli";
}

nlohmann::json readJson(const fs::path& p) {
  std::ifstream in(p);
  auto j = nlohmann::json::parse(in, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

class Directory final : public jobs::ProviderDirectory {
 public:
  explicit Directory(cloud::Provider& p) : m_p(p) {}
  Result<cloud::Provider*> providerFor(const jobs::JobSpec&) override { return &m_p; }
  std::vector<cloud::Provider*> allProviders() override { return {&m_p}; }

 private:
  cloud::Provider& m_p;
};

/** A temporary Local world: instance root, bucket, ledger. Kills every instance left on exit. */
struct World {
  QTemporaryDir dir;
  fs::path root, bucket, ledgerFile;
  std::unique_ptr<cloud::local::LocalProvider> provider;

  World() {
    root = fs::path(dir.path().toStdString()) / "local";
    bucket = fs::path(dir.path().toStdString()) / "bucket";
    ledgerFile = fs::path(dir.path().toStdString()) / "ledger.sqlite";
    fs::create_directories(root);
    fs::create_directories(bucket);
    cloud::local::LocalProviderOptions o;
    o.root = root;
    o.bucketRoot = bucket;
    o.rehearsal.noticeSeconds = 30;
    provider = std::make_unique<cloud::local::LocalProvider>(o);
  }
  ~World() {
    // Torn down even when the test failed: nothing keeps running.
    auto all = provider->compute().listByTag("", {}, {});
    if (all) {
      std::vector<cloud::InstanceRef> refs;
      for (const auto& i : *all) refs.push_back({i.region, i.id});
      (void)provider->compute().terminate(refs, {});
    }
  }
  jobs::JobSpec spec(const std::string& command = trainCommand()) const {
    jobs::JobSpec s;
    s.name = "example";
    s.offer = {"local", "local", "", "sim-t4", true, 3.6, 7.2, "T4", 1};
    s.codeDir = test::sourceDir() / "resources" / "examples";
    s.command = command;
    s.storage = "local://" + bucket.string();
    s.budgetUsd = 10;
    s.graceSeconds = 5;
    s.checkpointSyncSeconds = 5;
    s.recovery.maxAttempts = 10;
    s.recovery.moveAfterPreemptions = 10;
    return s;
  }
  void writeSpec(const fs::path& file, const jobs::JobSpec& s) const {
    if (!jobs::saveJobSpec(s, file)) qFatal("cannot write %s", file.c_str());
  }
  /** Every instance ever launched here, by (job, attempt). */
  std::map<std::pair<std::string, int>, int> launchesPerAttempt() {
    std::map<std::pair<std::string, int>, int> out;
    const auto all = provider->compute().listByTag("", {}, {}).value();
    for (const auto& i : all) ++out[{i.jobId, i.attempt}];
    return out;
  }
  std::vector<cloud::Instance> live() {
    std::vector<cloud::Instance> out;
    const auto all = provider->compute().listByTag("", {}, {}).value();
    for (const auto& i : all) {
      if (i.state != cloud::InstanceState::Terminated) out.push_back(i);
    }
    return out;
  }
};

struct CliRun {
  int exitCode = -1;
  QString output;
};

QProcessEnvironment cliEnvironment(const World& w) {
  auto env = QProcessEnvironment::systemEnvironment();
  env.insert(QStringLiteral("SPOTWISE_LEDGER"), QString::fromStdString(w.ledgerFile.string()));
  env.insert(QStringLiteral("SPOTWISE_LOCAL_ROOT"), QString::fromStdString(w.root.string()));
  return env;
}

QStringList args(std::initializer_list<std::string> list) {
  QStringList out;
  for (const auto& s : list) out << QString::fromStdString(s);
  return out;
}

CliRun runCli(const World& w, const QStringList& arguments, int timeoutMs) {
  QProcess p;
  p.setProcessEnvironment(cliEnvironment(w));
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(QString::fromStdString(cliPath().string()), arguments);
  CliRun r;
  if (!p.waitForFinished(timeoutMs)) {
    p.kill();
    p.waitForFinished();
    r.output = QString::fromUtf8(p.readAll());
    return r;
  }
  r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
  r.output = QString::fromUtf8(p.readAll());
  return r;
}

/** Starts the CLI and SIGKILLs it after `killAfterMs`; returns its output so far. */
QString runCliAndKill(const World& w, const QStringList& arguments, int killAfterMs) {
  QProcess p;
  p.setProcessEnvironment(cliEnvironment(w));
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(QString::fromStdString(cliPath().string()), arguments);
  if (!p.waitForStarted(5000)) return QStringLiteral("did not start");
  if (!p.waitForFinished(killAfterMs)) {
    ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
    p.waitForFinished(5000);
  }
  return QString::fromUtf8(p.readAll());
}

/** After a crash: reconcile in a fresh controller and check the invariants. */
void expectReconciledClean(World& w, const std::string& when) {
  auto ledger = ledger::Ledger::open(w.ledgerFile);
  QVERIFY2(ledger.ok(), ledger.ok() ? "" : ledger.error().message.c_str());
  Directory dir(*w.provider);
  jobs::AgentBootstrapper boot;
  jobs::SystemClock clock;
  jobs::Controller controller(**ledger, dir, boot, clock);
  auto report = controller.reconcile();
  QVERIFY2(report.ok(), report.ok() ? "" : report.error().message.c_str());
  for (const auto& o : report->orphans) {
    qWarning("%s: orphan %s attempt %d state %d '%s' (%s)", when.c_str(), o.instance.id.c_str(), o.instance.attempt,
             static_cast<int>(o.instance.state), o.instance.stateMessage.c_str(), o.reason.c_str());
    qWarning("runtime: %s", test::readText(w.provider->localCompute().sandbox(o.instance.id) / "runtime.json").c_str());
    const auto intents = (*ledger)->intents(o.instance.jobId);
    if (intents) {
      for (const auto& i : *intents) {
        qWarning("  intent %s #%d %s %s %s", i.operation.c_str(), i.attempt, i.target.c_str(), i.outcome.c_str(), i.detail.c_str());
      }
    }
    const auto events = (*ledger)->events(o.instance.jobId);
    if (events) {
      for (const auto& e : *events) {
        qWarning("  %s #%d %s -> %s %s", e.kind.c_str(), e.attempt, e.fromState.c_str(), e.toState.c_str(), e.message.c_str());
      }
    }
  }
  QVERIFY2(report->orphans.empty(), when.c_str());
  for (const auto& [key, count] : w.launchesPerAttempt()) {
    QVERIFY2(count == 1, (when + ": attempt " + std::to_string(key.second) + " of " + key.first + " launched " +
                          std::to_string(count) + " times")
                             .c_str());
  }
  // At most one live instance per job, and only for a live job's current attempt.
  std::map<std::string, int> livePerJob;
  const auto liveNow = w.live();
  for (const auto& i : liveNow) {
    ++livePerJob[i.jobId];
    const auto found = (*ledger)->job(i.jobId);
    QVERIFY2(found.ok(), found.ok() ? "" : found.error().message.c_str());
    const std::optional<ledger::JobRecord> job = found.value();
    if (!job) qWarning("%s: live %s job '%s' attempt %d", when.c_str(), i.id.c_str(), i.jobId.c_str(), i.attempt);
    QVERIFY2(job.has_value(), (when + ": instance " + i.id + " of unknown job \"" + i.jobId + "\"").c_str());
    QVERIFY2(i.attempt == job->currentAttempt || !report->cleaned.empty(),
             (when + ": live instance of attempt " + std::to_string(i.attempt) + ", current " +
              std::to_string(job->currentAttempt))
                 .c_str());
  }
  for (const auto& [job, n] : livePerJob) QVERIFY2(n <= 1 || !report->cleaned.empty(), (when + ": duplicate").c_str());
  const auto problems = (*ledger)->checkConsistency().value();
  for (const auto& p : problems) qWarning("%s: %s", when.c_str(), p.c_str());
  QVERIFY2(problems.empty(), when.c_str());
}

}  // namespace

class JobsLocalE2ETest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    if (QProcess::execute(QStringLiteral("python3"), {QStringLiteral("-c"), QStringLiteral("pass")}) != 0) {
      if (qEnvironmentVariable("CI") == QStringLiteral("true")) QFAIL("python3 is missing (the agent and the Local provider need it)");
      QSKIP("python3 is missing: the agent and the Local provider need it");
    }
    QVERIFY2(fs::exists(cliPath()), cliPath().c_str());
  }

  void threePreemptionsCompleteWithTheSameModel() {
    World w;
    // The uninterrupted reference run.
    const fs::path reference = fs::path(w.dir.path().toStdString()) / "reference.bin";
    QProcess ref;
    ref.setWorkingDirectory(QString::fromStdString((test::sourceDir() / "resources" / "examples").string()));
    ref.setProcessChannelMode(QProcess::MergedChannels);
    ref.start(QStringLiteral("python3"),
              args({"train.py", "--steps", std::to_string(kSteps), "--step-seconds", "0", "--checkpoint-every",
                    std::to_string(kCheckpointEvery), "--out", reference.string()}));
    QVERIFY(ref.waitForFinished(60000));
    QCOMPARE(ref.exitCode(), 0);

    auto ledger = ledger::Ledger::open(w.ledgerFile);
    QVERIFY(ledger.ok());
    Directory dir(*w.provider);
    jobs::AgentBootstrapOptions agentOptions;
    agentOptions.heartbeatSeconds = 1;
    agentOptions.pollSeconds = 1;
    jobs::AgentBootstrapper boot(agentOptions);
    jobs::SystemClock clock;
    jobs::ControllerConfig config;
    config.pollIntervalMs = 25;
    jobs::Controller controller(**ledger, dir, boot, clock, config);

    auto id = controller.submit(w.spec());
    QVERIFY2(id.ok(), id.ok() ? "" : id.error().message.c_str());
    const std::vector<std::int64_t> preemptAtStep{120, 300, 480};
    std::vector<std::string> preempted;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    ledger::JobRecord job;
    std::vector<double> tickSeconds;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto tickStart = std::chrono::steady_clock::now();
      auto tick = controller.tick();
      tickSeconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - tickStart).count());
      QVERIFY2(tick.ok(), tick.ok() ? "" : tick.error().message.c_str());
      job = (*ledger)->job(*id).value().value();
      if (jobs::isTerminal(*jobs::parseJobState(job.state))) break;
      if (job.state == "Running" && preempted.size() < preemptAtStep.size() &&
          job.step >= preemptAtStep[preempted.size()]) {
        const auto attempt = (*ledger)->attempt(*id, job.currentAttempt).value().value();
        if (std::ranges::find(preempted, attempt.instanceId) == preempted.end()) {
          QVERIFY(w.provider->localCompute().preemptNow(attempt.instanceId).ok());
          preempted.push_back(attempt.instanceId);
        }
      }
      clock.sleepMs(config.pollIntervalMs);
    }
    QCOMPARE(job.state, std::string("Succeeded"));
    QCOMPARE(preempted.size(), std::size_t(3));
    std::ranges::sort(tickSeconds);
    qInfo("poll cycle of one job: median %.1f ms, max %.1f ms over %zu polls", tickSeconds[tickSeconds.size() / 2] * 1e3,
          tickSeconds.back() * 1e3, tickSeconds.size());

    const auto attempts = (*ledger)->attempts(*id).value();
    QCOMPARE(attempts.size(), std::size_t(4));
    for (int n = 0; n < 3; ++n) {
      QCOMPARE(attempts[n].endCause, std::string("preempted"));
      // Work lost per preemption: at most one checkpoint interval.
      QVERIFY2(attempts[n].workLostSteps >= 0 && attempts[n].workLostSteps <= kCheckpointEvery,
               std::to_string(attempts[n].workLostSteps).c_str());
      QVERIFY(attempts[n + 1].resumedFromStep > 0);
    }
    QCOMPARE(attempts[3].endCause, std::string("succeeded"));

    // Bit-identical model.
    const std::string model = test::readText(w.bucket / *id / "result" / "model.bin");
    QVERIFY(!model.empty());
    QVERIFY2(model == test::readText(reference), "the resumed run's model differs from the uninterrupted run's");

    // Spend: the ledger's attempts against the provider's own record of each instance's life, from
    // its launch (instance.json) to its end (runtime.json), at the offer's price.
    const auto spend = jobs::computeSpend(attempts, clock.nowMs());
    double providerSeconds = 0;
    for (const auto& a : attempts) {
      const auto sandbox = w.provider->localCompute().sandbox(a.instanceId);
      const double launched = readJson(sandbox / "instance.json").value("launchedAtUnix", 0.0);
      const auto runtime = readJson(sandbox / "runtime.json");
      QVERIFY(launched > 0 && runtime["endedAtUnix"].is_number());
      providerSeconds += runtime["endedAtUnix"].get<double>() - launched;
      qInfo("attempt %d: start %+.3f s, end %+.3f s (ledger - provider)", a.number,
            static_cast<double>(a.startMs) / 1000.0 - launched,
            static_cast<double>(a.goneMs) / 1000.0 - runtime["endedAtUnix"].get<double>());
    }
    const double providerDollars = providerSeconds * 3.6 / 3600.0;
    double ledgerSeconds = 0;
    for (double s : spend.perAttemptSeconds) ledgerSeconds += s;
    qInfo("spend: ledger $%.6f over %.2f s, provider $%.6f over %.2f s (%+.2f %%)", spend.totalUsd, ledgerSeconds,
          providerDollars, providerSeconds, 100.0 * (spend.totalUsd - providerDollars) / providerDollars);
    QVERIFY(std::abs(spend.totalUsd - ledgerSeconds * 3.6 / 3600.0) < 1e-9);  // Σ attempt seconds × price
    QVERIFY2(std::abs(spend.totalUsd - providerDollars) <= 0.01 * kSlowdown * providerDollars,
             "ledger spend off by more than 1 % (3 % under ASan)");

    // Recovery latency: the provider's notice → the replacement's launch request.
    for (int n = 0; n < 3; ++n) {
      const auto runtime = readJson(w.provider->localCompute().sandbox(attempts[n].instanceId) / "runtime.json");
      const double notice = runtime.value("noticeAtUnix", 0.0);
      QVERIFY(notice > 0);
      qInfo("recovery latency %d: notice -> replacement launch request %.0f ms", n + 1,
            static_cast<double>(attempts[n + 1].requestedMs) - notice * 1000.0);
    }
    // Nothing left running.
    QVERIFY(w.live().empty());
    for (const auto& a : attempts) QVERIFY(w.provider->localCompute().livePids(a.instanceId).empty());
    QVERIFY((*ledger)->checkConsistency().value().empty());
  }

  void killedControllerNeverOrphansOrDuplicates() {
    World w;
    const fs::path specFile = fs::path(w.dir.path().toStdString()) / "job.json";
    w.writeSpec(specFile, w.spec(trainCommand(1'000'000)));  // runs until stopped
    std::mt19937 rng(20261128);
    std::uniform_int_distribution<int> early(0, 400 * kSlowdown), later(100 * kSlowdown, 1500 * kSlowdown);
    const QStringList supervise = args({"supervise", "--poll", "0.05", "--heartbeat", "1"});
    int kills = 0;
    for (int round = 0; round < 6; ++round) {
      // Launch, killed somewhere in packaging / launch / boot.
      runCliAndKill(w, args({"launch", specFile.string(), "--poll", "0.05", "--heartbeat", "1"}), early(rng));
      ++kills;
      expectReconciledClean(w, "after a kill during launch, round " + std::to_string(round));
      // Supervision restarted and killed again while it re-attaches.
      runCliAndKill(w, supervise, later(rng));
      ++kills;
      expectReconciledClean(w, "after a kill during supervision, round " + std::to_string(round));
      // Relaunch: a preemption notice, then the supervisor killed somewhere in the recovery.
      for (const auto& i : w.live()) (void)w.provider->localCompute().preemptNow(i.id);
      runCliAndKill(w, supervise, later(rng));
      ++kills;
      expectReconciledClean(w, "after a kill during relaunch, round " + std::to_string(round));
      // Stop, killed mid-way; then a supervisor finishes what is pending.
      auto ledger = ledger::Ledger::open(w.ledgerFile);
      QVERIFY(ledger.ok());
      auto jobs = (*ledger)->jobs(true).value();
      ledger->reset();
      if (!jobs.empty() && round % 2 == 0) {
        runCliAndKill(w, args({"stop", jobs.front().id, "--poll", "0.05"}), early(rng));
        ++kills;
        expectReconciledClean(w, "after a kill during stop, round " + std::to_string(round));
      }
    }
    qInfo("controller processes killed with SIGKILL: %d", kills);
    QVERIFY(kills >= 20);
    // Finally stop everything still live, through the CLI, and wait for the providers to confirm.
    auto ledger = ledger::Ledger::open(w.ledgerFile);
    QVERIFY(ledger.ok());
    const auto all = (*ledger)->jobs(true).value();
    ledger->reset();
    for (const auto& j : all) {
      const auto r = runCli(w, args({"stop", j.id, "--poll", "0.05"}), 60000);
      QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    }
    QVERIFY(w.live().empty());
    expectReconciledClean(w, "at the end");
    ledger = ledger::Ledger::open(w.ledgerFile);
    const auto finalJobs = (*ledger)->jobs().value();
    for (const auto& j : finalJobs) {
      QVERIFY2(jobs::isTerminal(*jobs::parseJobState(j.state)), j.state.c_str());
    }
  }

  void restartReattachesAndFinishes() {
    World w;
    const fs::path specFile = fs::path(w.dir.path().toStdString()) / "job.json";
    w.writeSpec(specFile, w.spec(trainCommand(250)));
    // The app quits mid-job (here: its supervising process is killed once the job runs).
    QProcess app;
    app.setProcessEnvironment(cliEnvironment(w));
    app.start(QString::fromStdString(cliPath().string()),
              args({"launch", specFile.string(), "--poll", "0.05", "--heartbeat", "1"}));
    QVERIFY(app.waitForStarted(5000));
    std::string id;
    auto running = [&] {
      auto l = ledger::Ledger::open(w.ledgerFile);
      if (!l) return false;
      auto all = (*l)->jobs();
      if (!all || all->empty()) return false;
      id = all->front().id;
      return all->front().state == "Running";
    };
    QTRY_VERIFY_WITH_TIMEOUT(running(), 30000);
    ::kill(static_cast<pid_t>(app.processId()), SIGKILL);
    QVERIFY(app.waitForFinished(5000));
    QCOMPARE(w.live().size(), std::size_t(1));  // the instance outlives the app
    const auto r = runCli(w, args({"supervise", "--poll", "0.05", "--heartbeat", "1"}), 60000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    QVERIFY2(r.output.contains(QStringLiteral("re-attached ") + QString::fromStdString(id)), qPrintable(r.output));
    auto ledger = ledger::Ledger::open(w.ledgerFile);
    const auto job = (*ledger)->job(id).value().value();
    QCOMPARE(job.state, std::string("Succeeded"));
    QCOMPARE((*ledger)->attempts(id).value().size(), std::size_t(1));  // re-attached, not relaunched
    QVERIFY(fs::exists(w.bucket / id / "result" / "model.bin"));
    QVERIFY(w.live().empty());
    // And the CLI's read commands on the finished job.
    const auto show = runCli(w, args({"job", "show", id.substr(0, 8), "--json"}), 10000);
    QCOMPARE(show.exitCode, 0);
    const auto doc = nlohmann::json::parse(show.output.toStdString());
    QCOMPARE(doc["state"].get<std::string>(), std::string("Succeeded"));
    QCOMPARE(doc["attemptList"].size(), std::size_t(1));
    const auto logs = runCli(w, args({"logs", id}), 10000);
    QCOMPARE(logs.exitCode, 0);
    QVERIFY2(logs.output.contains(QStringLiteral("train.py: done")), qPrintable(logs.output));
  }
};

QTEST_GUILESS_MAIN(JobsLocalE2ETest)
#include "JobsLocalE2ETest.moc"
