// The instance agent (resources/agent/spotwise_agent.py, as embedded in the binaries) run as a real
// process against the loopback metadata service, a folder bucket and the example workload.

#include <QTest>

#include "AgentProcessFixture.h"

using namespace spotwise;
using namespace spotwise::test;

class AgentScriptTest : public QObject, public AgentProcessFixture {
  Q_OBJECT

 private Q_SLOTS:
  void init() { setUpDirs(); }

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

  void slowCheckpointAfterTheSignalIsWaitedFor() {
    // The shell of `sh -c` dies of the signal at once; the program takes 1.5 s to write its
    // checkpoint. The agent waits for the whole process group, not the shell.
    packExample();
    FakeMetadata imds(m_agentDir / "imds", std::string(cloud::local::localInstanceScript()));
    QVERIFY(imds.start());
    const std::string program =
        "import os, signal, sys, time\n"
        "def stop(*_):\n"
        "    time.sleep(1.5)\n"
        "    open(os.path.join(os.environ['SPOTWISE_CHECKPOINT_DIR'], 'slow.txt'), 'w').write('done')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "open(os.environ['SPOTWISE_PROGRESS_FILE'], 'a').write('{\\\"step\\\": 1}\\n')\n"
        "while True: time.sleep(0.05)\n";
    writeText(m_bucket / "slow.py", program);
    writeConfig(baseConfig("aws", "python3 " + (m_bucket / "slow.py").string() + "; echo after"));
    SessionProcess agentProcess;
    QVERIFY(startAgent(agentProcess, "run", imds.endpoint()));
    // Progress step 1 is written once the handler is installed.
    QVERIFY(waitFor([&] { auto s = status(); return s.value("state", "") == "running" && s["step"] == 1; }, 20));
    imds.preempt(60);
    QCOMPARE(agentProcess.waitExit(20000), 5);
    const json latest = readJsonFile(m_bucket / "checkpoints" / "LATEST");
    QVERIFY2(latest.is_object() && !latest.empty(), agentProcess.output().constData());
    char seq[16];
    std::snprintf(seq, sizeof seq, "%06d", latest["seq"].get<int>());
    QCOMPARE(readIfExists(m_bucket / "checkpoints" / seq / "slow.txt"), std::string("done"));
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
