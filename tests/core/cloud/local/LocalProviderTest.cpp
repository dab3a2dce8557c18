// The Local provider end to end: real process trees per instance, a folder bucket, the loopback
// metadata service and the real agent rendered by core/agent, running the example workload.

#include <QTest>

#include "LocalJobFixture.h"

using namespace spotwise;
using namespace spotwise::test;
using namespace spotwise::cloud;

class LocalProviderTest : public QObject, public LocalJobFixture {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QVERIFY(m_tmp.isValid()); }

  void objectStoreWritesAtomicallyAndRejectsBadKeys() {
    const fs::path bucket = root() / "store";
    fs::create_directories(bucket);
    local::LocalObjectStore store(bucket);
    QVERIFY(store.put("jobs/a/status.json", "{\"state\":\"running\"}", {}).ok());
    QVERIFY(store.put("jobs/a/logs/attempt-1.log", "line\n", {}).ok());
    QVERIFY(store.put("jobs/b/status.json", "x", {}).ok());
    QCOMPARE(*store.get("jobs/a/status.json", {}), std::string("{\"state\":\"running\"}"));
    QCOMPARE(store.head("jobs/a/logs/attempt-1.log", {})->size, std::uint64_t{5});
    // A half-written temporary file of an interrupted writer is never listed.
    writeText(bucket / "jobs" / "a" / ".status.json.spotwise-tmp-1-1", "half");
    auto listed = store.list("jobs/a/", {});
    QVERIFY(listed.ok());
    QCOMPARE(listed->size(), std::size_t{2});
    QCOMPARE(listed->front().key, std::string("jobs/a/logs/attempt-1.log"));
    QCOMPARE(store.get("jobs/a/missing", {}).error().code, ErrorCode::NotFound);
    QCOMPARE(store.head("jobs/a/missing", {}).error().code, ErrorCode::NotFound);
    QVERIFY(store.remove("jobs/b/status.json", {}).ok());
    QVERIFY(store.remove("jobs/b/status.json", {}).ok());  // already gone is fine
    for (const char* bad : {"../escape", "/abs", "a//b", "a/../b", "", "dir/"}) {
      auto r = store.put(bad, "x", {});
      QVERIFY2(!r.ok() && r.error().code == ErrorCode::InvalidArgument, bad);
    }
    local::LocalObjectStore missing(root() / "no-such-bucket");
    auto r = missing.put("k", "v", {});
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::NotFound);
    QVERIFY(r.error().message.find("does not exist") != std::string::npos);
  }

  void terminateLeavesNothingRunning() {
    local::LocalProvider provider(options("terminate"));
    const std::string job = newJob();
    uploadExample(provider, job);
    auto inst = launchAttempt(provider, job, 1, "python3 train.py --steps 1000000 --step-seconds 0.01 & sleep 1000; wait");
    QVERIFY2(inst.ok(), inst.ok() ? "" : msg(inst.error()));
    QVERIFY(waitFor([&] { return status(provider, job).value("state", "") == "running"; }, 20));
    QVERIFY(provider.localCompute().livePids(inst->id).size() >= 4);  // instance, sh, agent, program...
    QCOMPARE(describeOne(provider, inst->id).state, InstanceState::Running);
    QVERIFY(provider.compute().terminate({{"local", inst->id}}, {}).ok());
    QVERIFY(waitTerminated(provider, inst->id, 10));
    const Instance ended = describeOne(provider, inst->id);
    QCOMPARE(ended.endReason, EndReason::User);
    QVERIFY(ended.endedAtMs >= inst->launchedAtUnix * 1000);  // when billing stopped
    QVERIFY(ended.endedAtMs <= std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    QVERIFY(provider.localCompute().livePids(inst->id).empty());
    QVERIFY(nothingRunsFrom(provider.localCompute().sandbox(inst->id)));
  }

  void instancesSurviveTheAppAndAreReattached() {
    const local::LocalProviderOptions opts = options("reattach");
    const std::string job = newJob();
    std::string id;
    {
      local::LocalProvider first(opts);
      uploadExample(first, job);
      auto inst = launchAttempt(first, job, 1, "python3 train.py --steps 1000000 --step-seconds 0.01");
      QVERIFY2(inst.ok(), inst.ok() ? "" : msg(inst.error()));
      id = inst->id;
      // The same (job, attempt) launched again (a retried call) is the same instance.
      auto again = launchAttempt(first, job, 1, "python3 train.py");
      QVERIFY(again.ok());
      QCOMPARE(again->id, id);
    }  // the "app" goes away
    local::LocalProvider second(opts);
    auto listed = second.compute().listByTag(job, {"local"}, {});
    QVERIFY(listed.ok());
    QCOMPARE(listed->size(), std::size_t{1});
    QCOMPARE(listed->front().id, id);
    QVERIFY(waitFor([&] { return describeOne(second, id).state == InstanceState::Running; }, 10));
    // Not our child: quitting the app does not take the instance with it.
    const json runtime = readJsonFile(second.localCompute().sandbox(id) / "runtime.json");
    const std::string stat = readIfExists("/proc/" + std::to_string(runtime.value("pid", 0)) + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string state;
    int ppid = 0;
    fields >> state >> ppid;
    QVERIFY(ppid != ::getpid());
    QVERIFY(second.compute().listByTag("other-job", {}, {})->empty());
    QVERIFY(second.compute().terminate({{"local", id}}, {}).ok());
    QVERIFY(waitTerminated(second, id, 10));
    QVERIFY(second.localCompute().livePids(id).empty());
  }

  void aLaunchWhoseLauncherWasKilledIsStillLaunchingNotGone() {
    // The state a SIGKILL leaves between fork and the launcher's bookkeeping: the sandbox and
    // instance.json exist, the instance has neither written runtime.json nor is its pid recorded.
    // Calling that Terminated let `stop` end the job while the machine was about to boot.
    local::LocalProvider provider(options("killed-launch"));
    const std::string job = newJob();
    uploadExample(provider, job);
    auto inst = launchAttempt(provider, job, 1, "sleep 1000");
    QVERIFY2(inst.ok(), inst.ok() ? "" : msg(inst.error()));
    QVERIFY(provider.compute().terminate({{"local", inst->id}}, {}).ok());
    QVERIFY(waitTerminated(provider, inst->id, 10));
    const fs::path dir = provider.localCompute().sandbox(inst->id);
    fs::remove(dir / "runtime.json");
    fs::remove(dir / "launcher.pid");
    fs::remove(dir / "control" / "terminate");
    json meta = readJsonFile(dir / "instance.json");
    const double now = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count()) / 1000.0;
    meta["launchedAtUnix"] = now;
    writeText(dir / "instance.json", meta.dump());
    Instance seen = describeOne(provider, inst->id);
    QCOMPARE(seen.state, InstanceState::Pending);
    QCOMPARE(seen.stateMessage, std::string("launching"));
    auto listed = provider.compute().listByTag(job, {}, {});
    QVERIFY(listed.ok() && listed->size() == 1 && listed->front().state == InstanceState::Pending);
    // A launch that never got as far as starting the machine is gone once the grace is over.
    meta["launchedAtUnix"] = now - 120;
    writeText(dir / "instance.json", meta.dump());
    QCOMPARE(describeOne(provider, inst->id).state, InstanceState::Terminated);
  }

  void theInstanceRecordsItsOwnPid() {
    local::LocalProvider provider(options("own-pid"));
    const std::string job = newJob();
    uploadExample(provider, job);
    auto inst = launchAttempt(provider, job, 1, "sleep 1000");
    QVERIFY(inst.ok());
    const fs::path dir = provider.localCompute().sandbox(inst->id);
    QVERIFY(waitFor([&] { return fs::exists(dir / "runtime.json"); }, 20));
    QCOMPARE(readIfExists(dir / "launcher.pid"), std::to_string(readJsonFile(dir / "runtime.json").value("pid", 0)));
    QVERIFY(!fs::exists(dir / "launcher.pid.tmp"));
    QVERIFY(provider.compute().terminate({{"local", inst->id}}, {}).ok());
    QVERIFY(waitTerminated(provider, inst->id, 10));
  }

  void killedSupervisorStillLeavesNothingAfterTerminate() {
    local::LocalProvider provider(options("killed"));
    const std::string job = newJob();
    uploadExample(provider, job);
    auto inst = launchAttempt(provider, job, 1, "python3 train.py --steps 1000000 --step-seconds 0.01");
    QVERIFY(inst.ok());
    QVERIFY(waitFor([&] { return status(provider, job).value("state", "") == "running"; }, 20));
    const json runtime = readJsonFile(provider.localCompute().sandbox(inst->id) / "runtime.json");
    ::kill(runtime.value("pid", 0), SIGKILL);  // the instance's supervisor dies, its processes do not
    QVERIFY(waitFor([&] { return describeOne(provider, inst->id).state == InstanceState::Terminated; }, 10));
    QVERIFY(provider.compute().terminate({{"local", inst->id}}, {}).ok());
    QVERIFY(waitFor([&] { return provider.localCompute().livePids(inst->id).empty(); }, 10));
    QVERIFY(nothingRunsFrom(provider.localCompute().sandbox(inst->id)));
  }

  void badInputEndsClearlyWithNothingRunning_data() {
    QTest::addColumn<QString>("command");
    QTest::addColumn<bool>("uploadCode");
    QTest::addColumn<bool>("bucketDeniesWrites");
    QTest::addColumn<QString>("expected");
    QTest::newRow("command exits non-zero at once") << "echo 'bad flag' >&2; exit 3" << true << false
                                                    << "command exited with status 3: bad flag";
    QTest::newRow("code bundle missing") << "true" << false << false << "code bundle code.tar.gz is missing";
    QTest::newRow("bucket denies writes") << "true" << true << true << "storage: cannot write to the job's bucket";
  }

  void badInputEndsClearlyWithNothingRunning() {
    QFETCH(QString, command);
    QFETCH(bool, uploadCode);
    QFETCH(bool, bucketDeniesWrites);
    QFETCH(QString, expected);
    local::LocalProvider provider(options("bad"));
    const std::string job = newJob();
    if (uploadCode) uploadExample(provider, job);
    if (bucketDeniesWrites) {
      // status.json is a folder: no writer, root included, can create that object.
      fs::create_directories(provider.localStorage().root() / "jobs" / job / "status.json");
    }
    auto inst = launchAttempt(provider, job, 1, command.toStdString());
    QVERIFY2(inst.ok(), inst.ok() ? "" : msg(inst.error()));
    QVERIFY(waitTerminated(provider, inst->id, 20));
    const Instance ended = describeOne(provider, inst->id);
    QCOMPARE(ended.endReason, EndReason::Error);
    QVERIFY2(ended.stateMessage.find(expected.toStdString()) != std::string::npos, ended.stateMessage.c_str());
    if (!bucketDeniesWrites) {
      const json s = status(provider, job);
      QCOMPARE(s.value("state", ""), std::string("failed"));
      QVERIFY2(s.value("message", "").find(expected.toStdString()) != std::string::npos, s.dump().c_str());
    }
    QVERIFY(provider.localCompute().livePids(inst->id).empty());
    QVERIFY(nothingRunsFrom(provider.localCompute().sandbox(inst->id)));
  }

  void missingCodeFolderOrBucketIsRefusedBeforeLaunch() {
    auto bundle = agent::packCodeFolder(root() / "no-such-code", root() / "x.tar.gz");
    QVERIFY(!bundle.ok());
    QCOMPARE(bundle.error().code, ErrorCode::InvalidArgument);
    QVERIFY(bundle.error().message.find("no-such-code' does not exist") != std::string::npos);
    QVERIFY(!fs::exists(root() / "x.tar.gz"));
    local::LocalProviderOptions opts = options("nobucket");
    opts.bucketRoot = root() / "user-named-bucket-that-is-missing";
    local::LocalProvider provider(opts);
    auto access = provider.issueInstanceAccess("job", "jobs/job", 0, {});
    QVERIFY(!access.ok());
    QCOMPARE(access.error().code, ErrorCode::NotFound);
    QVERIFY(access.error().message.find("does not exist") != std::string::npos);
    QCOMPARE(provider.localCompute().preemptNow("local-000000000000").error().code, ErrorCode::NotFound);
    auto unknown = provider.compute().describe({{"local", "local-000000000000"}}, {});
    QVERIFY(unknown.ok());
    QCOMPARE(unknown->front().state, InstanceState::Terminated);
  }
};

QTEST_APPLESS_MAIN(LocalProviderTest)
#include "LocalProviderTest.moc"
