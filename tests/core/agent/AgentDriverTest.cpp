// The agent's NVIDIA driver set-up per image family, with fake apt-get, ubuntu-drivers, modprobe
// and nvidia-smi on PATH (no GPU on these machines) and a chosen /etc/os-release.

#include <QTest>

#include "AgentProcessFixture.h"

using namespace spotwise;
using namespace spotwise::test;

class AgentDriverTest : public QObject, public AgentProcessFixture {
  Q_OBJECT

 private Q_SLOTS:
  void init() { setUpDirs(); }

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

};

QTEST_APPLESS_MAIN(AgentDriverTest)
#include "AgentDriverTest.moc"
