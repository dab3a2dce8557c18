// Checkpoint upload and restore by the agent (its `sync` and `restore` verbs on a folder bucket):
// LATEST is written last, and the manifest always describes the bytes that were uploaded.

#include <QProcessEnvironment>
#include <QTest>

#include "AgentProcessFixture.h"

using namespace spotwise;
using namespace spotwise::test;

class AgentCheckpointTest : public QObject, public AgentProcessFixture {
  Q_OBJECT

 private Q_SLOTS:
  void init() { setUpDirs(); }

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

  void checkpointReplacedDuringUploadStillRestores() {
    // The program replaces its checkpoint (atomically, by rename) every millisecond while the
    // agent uploads it: the manifest must describe the bytes that went up, so restore verifies.
    const fs::path ckpt = m_agentDir / "work" / "checkpoints";
    writeText(ckpt / "model.bin", std::string(256 * 1024, 'x'));
    writeText(m_agentDir / "writer.py",
              "import os, sys\n"
              "d = sys.argv[1]\n"
              "i = 0\n"
              "while True:\n"
              "    i += 1\n"
              "    open(d + '/model.bin.tmp', 'wb').write(os.urandom(256 * 1024))\n"
              "    os.replace(d + '/model.bin.tmp', d + '/model.bin')\n");
    json config = baseConfig("local", "true");
    writeConfig(config);
    SessionProcess writer;
    QVERIFY(writer.start(QStringLiteral("python3"), {QString::fromStdString((m_agentDir / "writer.py").string()), QString::fromStdString(ckpt.string())},
                         QProcessEnvironment::systemEnvironment()));
    // A second "instance" (its own folder, the same bucket) restores after every upload. The race
    // this guards against (hashing one version, uploading the next) is caught in about half of
    // the rounds when the digest is taken separately from the upload; four rounds make a miss rare.
    const fs::path otherDir = m_agentDir.string() + "-restore";
    writeText(otherDir / "agent.py", std::string(agent::agentPythonSource()));
    writeText(otherDir / "config.json", config.dump());
    for (int i = 0; i < 4; ++i) {
      SessionProcess sync;
      QVERIFY(startAgent(sync, "sync"));
      QCOMPARE(sync.waitExit(20000), 0);
      SessionProcess restore;
      QVERIFY(restore.start(QStringLiteral("python3"), {QString::fromStdString((otherDir / "agent.py").string()), QStringLiteral("restore"),
                                                        QStringLiteral("--config"), QString::fromStdString((otherDir / "config.json").string())},
                            QProcessEnvironment::systemEnvironment()));
      const int rc = restore.waitExit(20000);
      QVERIFY2(rc == 0, restore.output().constData());
      QCOMPARE(fs::file_size(otherDir / "work" / "checkpoints" / "model.bin"), std::uintmax_t{256 * 1024});
    }
    ::kill(static_cast<pid_t>(writer.pid()), SIGKILL);
    writer.waitExit(5000);
  }

};

QTEST_APPLESS_MAIN(AgentCheckpointTest)
#include "AgentCheckpointTest.moc"
