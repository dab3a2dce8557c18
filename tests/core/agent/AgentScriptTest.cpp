// The instance agent (resources/agent/spotwise_agent.py, as embedded in the binaries) run as a real
// process against the loopback metadata service, a folder bucket and the example workload.

#include <QtTest>

#include "core/agent/AgentTestFixtures.h"
#include "core/agent/AgentRenderer.h"
#include "core/agent/CodeBundle.h"
#include "core/cloud/local/LocalProvider.h"

using namespace spotwise;
using namespace spotwise::test;
using nlohmann::json;

class AgentScriptTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_tmp;
  fs::path m_root;
  fs::path m_bucket;    // the job prefix folder
  fs::path m_agentDir;  // where config.json and the agent live (the instance's /var/lib/spotwise)
  fs::path m_bin;       // fake tools first on PATH

  fs::path root() { return fs::path(m_tmp.path().toStdString()); }

  json baseConfig(const std::string& provider, const std::string& command) {
    return json{{"provider", provider},
                {"jobId", "job-test"},
                {"attempt", 1},
                {"command", command},
                {"environment", json::object()},
                {"storage", {{"kind", "local"}, {"path", m_bucket.string()}}},
                {"checkpointSignal", "SIGTERM"},
                {"graceSeconds", 10},
                {"pollSeconds", 1},
                {"heartbeatSeconds", 1},
                {"syncSeconds", 600},
                {"driver", {{"mode", "skip"}}},
                {"expectGpu", false},
                {"powerOff", false}};
  }

  void writeConfig(const json& config) {
    writeText(m_agentDir / "agent.py", std::string(agent::agentPythonSource()));
    writeText(m_agentDir / "config.json", config.dump());
  }

  QProcessEnvironment env(const std::string& imds = {}) {
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert(QStringLiteral("PATH"), QString::fromStdString(m_bin.string()) + QLatin1Char(':') + e.value(QStringLiteral("PATH")));
    if (!imds.empty()) e.insert(QStringLiteral("SPOTWISE_IMDS_ENDPOINT"), QString::fromStdString(imds));
    return e;
  }

  bool startAgent(SessionProcess& p, const std::string& verb, const std::string& imds = {}) {
    return p.start(QStringLiteral("python3"),
                   {QString::fromStdString((m_agentDir / "agent.py").string()), QString::fromStdString(verb), QStringLiteral("--config"),
                    QString::fromStdString((m_agentDir / "config.json").string())},
                   env(imds));
  }

  json status() { return readJsonFile(m_bucket / "status.json"); }

  void packExample() {
    auto bundle = agent::packCodeFolder(sourceDir() / "resources" / "examples", m_bucket / "code.tar.gz");
    QVERIFY2(bundle.ok(), bundle.ok() ? "" : bundle.error().message.c_str());
  }

 private Q_SLOTS:
  void init() {
    QVERIFY(m_tmp.isValid());
    m_bucket = root() / ("bucket-" + std::to_string(std::rand())) / "jobs" / "job-test";
    m_agentDir = root() / ("agent-" + std::to_string(std::rand()));
    m_bin = root() / "bin";
    fs::create_directories(m_bucket);
    fs::create_directories(m_agentDir);
    fs::create_directories(m_bin);
  }

  void preemptionNoticeStopsAndCheckpoints_data() {
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("expected");
    QTest::newRow("aws IMDSv2 spot/instance-action") << QStringLiteral("aws") << QStringLiteral("instance-action terminate");
    QTest::newRow("gcp instance/preempted") << QStringLiteral("gcp") << QStringLiteral("instance/preempted TRUE");
    QTest::newRow("azure Scheduled Events Preempt") << QStringLiteral("azure") << QStringLiteral("Scheduled Event Preempt");
  }

  void preemptionNoticeStopsAndCheckpoints() {
    QFETCH(QString, provider);
    QFETCH(QString, expected);
    packExample();
    FakeMetadata imds(m_agentDir / "imds", std::string(cloud::local::localInstanceScript()));
    QVERIFY(imds.start());
    writeConfig(baseConfig(provider.toStdString(), "python3 train.py --steps 100000 --step-seconds 0.005 --checkpoint-every 1000000"));
    SessionProcess agentProcess;
    QVERIFY(startAgent(agentProcess, "run", imds.endpoint()));
    QVERIFY2(waitFor([&] { auto s = status(); return s.value("state", "") == "running" && s["step"].is_number() && s["step"].get<int>() > 20; }, 20),
             status().dump().c_str());
    imds.preempt(60);
    const int rc = agentProcess.waitExit(20000);
    const std::string out = agentProcess.output().toStdString();
    QCOMPARE(rc, 5);  // EXIT_PREEMPTED
    const json s = status();
    QCOMPARE(s.value("state", ""), std::string("preempted"));
    QVERIFY2(s.value("message", "").find(expected.toStdString()) != std::string::npos, s.dump().c_str());
    QCOMPARE(s["exit_code"].get<int>(), 128 + SIGTERM);  // the program checkpointed and exited on SIGTERM
    // The checkpoint the program wrote on SIGTERM is in the bucket, named by LATEST.
    const json latest = readJsonFile(m_bucket / "checkpoints" / "LATEST");
    QVERIFY2(latest.is_object(), out.c_str());
    char seq[16];
    std::snprintf(seq, sizeof seq, "%06d", latest["seq"].get<int>());
    const json ckpt = readJsonFile(m_bucket / "checkpoints" / seq / "checkpoint.json");
    QVERIFY(ckpt["step"].get<int>() > 20);
    QCOMPARE(s["checkpoint_step"].get<int>(), latest["step"].get<int>());
    QVERIFY(readIfExists(m_bucket / "logs" / "attempt-1.log").find("signal received, checkpointed") != std::string::npos);
    QVERIFY(sessionPids(agentProcess.sid()).empty());
  }

  void latestIsWrittenLastSoAKilledUploadResumesThePreviousCheckpoint() {
    // Checkpoint #1: small, uploaded completely.
    const fs::path ckpt = m_agentDir / "work" / "checkpoints";
    writeText(ckpt / "model.bin", std::string(1000, 'A'));
    json config = baseConfig("local", "true");
    config["uploadBytesPerSecond"] = 200 * 1024;
    writeConfig(config);
    {
      SessionProcess sync;
      QVERIFY(startAgent(sync, "sync"));
      QCOMPARE(sync.waitExit(20000), 0);
    }
    QCOMPARE(readJsonFile(m_bucket / "checkpoints" / "LATEST")["seq"].get<int>(), 1);
    // Checkpoint #2: four 200 KB files at 200 KB/s. Kill the uploader once the first file is up.
    for (const char* name : {"a.bin", "b.bin", "c.bin", "model.bin"}) writeText(ckpt / name, std::string(200 * 1024, 'B'));
    SessionProcess sync;
    QVERIFY(startAgent(sync, "sync"));
    QVERIFY(waitFor([&] { return fs::exists(m_bucket / "checkpoints" / "000002" / "a.bin"); }, 20));
    ::kill(static_cast<pid_t>(sync.pid()), SIGKILL);
    sync.waitExit(5000);
    QVERIFY2(!fs::exists(m_bucket / "checkpoints" / "000002" / "model.bin"), "the upload finished before it was killed");
    QCOMPARE(readJsonFile(m_bucket / "checkpoints" / "LATEST")["seq"].get<int>(), 1);
    // A new instance restores: it gets checkpoint #1, whole.
    fs::remove_all(m_agentDir / "work");
    SessionProcess restore;
    QVERIFY(startAgent(restore, "restore"));
    QCOMPARE(restore.waitExit(20000), 0);
    QCOMPARE(readIfExists(ckpt / "model.bin"), std::string(1000, 'A'));
    QVERIFY(!fs::exists(ckpt / "a.bin"));
  }

  void driverSetup_data() {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("osRelease");
    QTest::addColumn<bool>("gpuBefore");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("expected");  // in status.json's message (failure) or the install log
    QTest::newRow("DL image: verify an existing driver") << "verify" << "ID=ubuntu\nVERSION_ID=\"22.04\"\n" << true << 0 << "";
    QTest::newRow("plain Ubuntu 22.04: install with ubuntu-drivers") << "auto" << "ID=ubuntu\nVERSION_ID=\"22.04\"\n" << false << 0
                                                                     << "ubuntu-drivers install --gpgpu";
    QTest::newRow("plain Ubuntu 24.04: install with ubuntu-drivers") << "auto" << "ID=ubuntu\nVERSION_ID=\"24.04\"\n" << false << 0
                                                                     << "ubuntu-drivers install --gpgpu";
    QTest::newRow("DL image without a driver: fail") << "verify" << "ID=ubuntu\nVERSION_ID=\"22.04\"\n" << false << 4
                                                     << "no working NVIDIA driver";
    QTest::newRow("unsupported OS: fail") << "auto" << "ID=debian\nVERSION_ID=\"12\"\n" << false << 4 << "no install recipe for debian 12";
  }

  void driverSetup() {
    QFETCH(QString, mode);
    QFETCH(QString, osRelease);
    QFETCH(bool, gpuBefore);
    QFETCH(int, exitCode);
    QFETCH(QString, expected);
    packExample();
    // Fake apt-get / ubuntu-drivers / modprobe record their arguments; nvidia-smi works once
    // "installed" exists (or from the start on a deep-learning image).
    const fs::path log = m_bin / "calls.log";
    const fs::path marker = m_bin / "installed";
    fs::remove(marker);
    fs::remove(log);
    if (gpuBefore) writeText(marker, "");
    for (const char* tool : {"apt-get", "modprobe"}) writeText(m_bin / tool, "#!/bin/sh\necho \"$(basename $0) $*\" >>" + log.string() + "\n", true);
    writeText(m_bin / "ubuntu-drivers", "#!/bin/sh\necho \"ubuntu-drivers $*\" >>" + log.string() + "\ntouch " + marker.string() + "\n", true);
    writeText(m_bin / "nvidia-smi", "#!/bin/sh\n[ -e " + marker.string() + " ] || exit 9\necho 'NVIDIA H100 80GB HBM3, 81559, 12'\necho 'NVIDIA H100 80GB HBM3, 81559, 14'\n", true);
    writeText(m_agentDir / "os-release", osRelease.toStdString());
    json config = baseConfig("local", "true");
    config["driver"] = {{"mode", mode.toStdString()}, {"osRelease", (m_agentDir / "os-release").string()}};
    config["expectGpu"] = true;
    writeConfig(config);
    FakeMetadata imds(m_agentDir / "imds", std::string(cloud::local::localInstanceScript()));
    QVERIFY(imds.start());
    SessionProcess agentProcess;
    QVERIFY(startAgent(agentProcess, "run", imds.endpoint()));
    const int rc = agentProcess.waitExit(20000);
    const std::string out = agentProcess.output().toStdString();
    QVERIFY2(rc == exitCode, out.c_str());
    const json s = status();
    if (exitCode == 0) {
      QCOMPARE(s.value("state", ""), std::string("succeeded"));
      QCOMPARE(s["gpu"]["model"].get<std::string>(), std::string("NVIDIA H100 80GB HBM3"));
      QCOMPARE(s["gpu"]["count"].get<int>(), 2);
      QVERIFY(readIfExists(log).find(expected.toStdString()) != std::string::npos);
      if (gpuBefore) QVERIFY(readIfExists(log).empty());  // verify mode installs nothing
    } else {
      QCOMPARE(s.value("state", ""), std::string("failed"));
      QVERIFY2(s.value("message", "").find(expected.toStdString()) != std::string::npos, s.dump().c_str());
    }
  }

  void badInputEndsInAClearState_data() {
    QTest::addColumn<QString>("command");
    QTest::addColumn<bool>("withCode");
    QTest::addColumn<int>("maxRuntime");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("expected");
    QTest::newRow("command exits non-zero at once") << "echo 'no such dataset' >&2; exit 3" << true << 0 << 1
                                                    << "command exited with status 3: no such dataset";
    QTest::newRow("code bundle missing") << "true" << false << 0 << 1 << "code bundle code.tar.gz is missing";
    QTest::newRow("dead-man's switch: maximum runtime") << "sleep 60" << true << 1 << 6 << "dead-man's switch: maximum runtime reached";
  }

  void badInputEndsInAClearState() {
    QFETCH(QString, command);
    QFETCH(bool, withCode);
    QFETCH(int, maxRuntime);
    QFETCH(int, exitCode);
    QFETCH(QString, expected);
    if (withCode) packExample();
    json config = baseConfig("local", command.toStdString());
    config["maxRuntimeSeconds"] = maxRuntime;
    config["graceSeconds"] = 1;
    writeConfig(config);
    FakeMetadata imds(m_agentDir / "imds", std::string(cloud::local::localInstanceScript()));
    QVERIFY(imds.start());
    SessionProcess agentProcess;
    QVERIFY(startAgent(agentProcess, "run", imds.endpoint()));
    const int rc = agentProcess.waitExit(20000);
    const std::string out = agentProcess.output().toStdString();
    QVERIFY2(rc == exitCode, out.c_str());
    const json s = status();
    QCOMPARE(s.value("state", ""), std::string("failed"));
    QVERIFY2(s.value("message", "").find(expected.toStdString()) != std::string::npos, s.dump().c_str());
    QVERIFY(sessionPids(agentProcess.sid()).empty());  // nothing left running
  }

  void bucketThatDeniesWritesFailsClearly() {
    packExample();
    // status.json is a folder: even root cannot write the object, like a bucket denying PutObject.
    fs::create_directories(m_bucket / "status.json");
    writeConfig(baseConfig("local", "true"));
    SessionProcess agentProcess;
    QVERIFY(startAgent(agentProcess, "run"));
    const int rc = agentProcess.waitExit(20000);
    const std::string out = agentProcess.output().toStdString();
    QVERIFY2(rc == 3, out.c_str());  // EXIT_STORAGE
    QVERIFY2(out.find("storage: cannot write to the job's bucket") != std::string::npos, out.c_str());
  }
};

QTEST_APPLESS_MAIN(AgentScriptTest)
#include "AgentScriptTest.moc"
