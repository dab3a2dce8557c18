// The agent's Azure Blob adapter against Azurite (Microsoft's storage emulator, which enforces
// SAS): the instance gets only a container SAS, never the account key; a tampered SAS is refused.

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "core/agent/AgentTestFixtures.h"
#include "core/agent/CodeBundle.h"
#include "core/cloud/local/LocalProvider.h"

using namespace spotwise;
using namespace spotwise::test;
using nlohmann::json;

namespace {

QString azuriteDir() {
  if (qEnvironmentVariableIsSet("SPOTWISE_AZURITE_DIR")) return qEnvironmentVariable("SPOTWISE_AZURITE_DIR");
  return QString::fromStdString((sourceDir() / "build/tools/azurite").string());
}

QString azuriteBinary() { return azuriteDir() + QStringLiteral("/node_modules/.bin/azurite-blob"); }

}  // namespace

class AgentAzuriteLabTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_tmp;
  fs::path m_dir;
  std::unique_ptr<SessionProcess> m_azurite;
  std::string m_base;  // http://127.0.0.1:PORT/devstoreaccount1

  std::string helper(const std::vector<std::string>& args, int* rc = nullptr) {
    QProcess p;
    QStringList list{QString::fromStdString((sourceDir() / "tests/core/agent/azure_lab_helper.py").string())};
    for (const auto& a : args) list << QString::fromStdString(a);
    p.start(QStringLiteral("python3"), list);
    p.waitForFinished(30000);
    if (rc) *rc = p.exitCode();
    return p.readAllStandardOutput().toStdString();
  }

  int runAgent(const std::string& name, const std::string& sas, const std::string& command, std::string* output) {
    const fs::path agentDir = m_dir / name;
    const json config = {{"provider", "azure"},
                         {"jobId", name},
                         {"attempt", 1},
                         {"command", command},
                         {"storage", {{"kind", "azure-blob"}, {"containerUrl", m_base + "/spotwise"}, {"prefix", "jobs/" + name}, {"sas", sas}}},
                         {"pollSeconds", 1},
                         {"heartbeatSeconds", 1},
                         {"syncSeconds", 1},
                         {"driver", {{"mode", "skip"}}},
                         {"expectGpu", false},
                         {"powerOff", false}};
    writeAgent(agentDir, config);
    FakeMetadata imds(agentDir / "imds", std::string(cloud::local::localInstanceScript()));
    if (!imds.start()) return -2;
    auto run = runAgentVerb(agentDir, "run", imds.endpoint(), 60000);
    *output = std::move(run.output);
    return run.code;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(m_tmp.isValid());
    m_dir = fs::path(m_tmp.path().toStdString());
    int rc = 0;
    const std::string vectors = helper({"vectors"}, &rc);
    QVERIFY2(rc == 0, vectors.c_str());  // our SAS maker agrees with the official SDK's vectors
    if (!QFileInfo::exists(azuriteBinary())) {
      QProcess install;  // the project's own installer (npm azurite@3.35.0 into a project-local folder)
      install.start(QStringLiteral("bash"), {QString::fromStdString((sourceDir() / "installer/install-azurite.sh").string()), azuriteDir()});
      install.waitForFinished(300000);
    }
    if (!QFileInfo::exists(azuriteBinary())) {
      if (qEnvironmentVariable("CI") == QStringLiteral("true")) QFAIL("Azurite is missing and could not be installed (CI=true)");
      QSKIP("Azurite is not installed and installer/install-azurite.sh could not install it");
    }
    const int port = freePort();
    m_azurite = std::make_unique<SessionProcess>();
    QVERIFY(m_azurite->start(azuriteBinary(), {QStringLiteral("--blobHost"), QStringLiteral("127.0.0.1"), QStringLiteral("--blobPort"), QString::number(port),
                                               QStringLiteral("--inMemoryPersistence"), QStringLiteral("--disableTelemetry"), QStringLiteral("--silent")},
                             QProcessEnvironment::systemEnvironment()));
    m_base = "http://127.0.0.1:" + std::to_string(port) + "/devstoreaccount1";
    QVERIFY2(waitFor([&] { int r = 1; helper({"mkcontainer", m_base}, &r); return r == 0; }, 30), m_azurite->output().constData());
  }

  void cleanupTestCase() { m_azurite.reset(); }

  void agentRunsAJobThroughAContainerSas() {
    auto bundle = agent::packCodeFolder(sourceDir() / "resources" / "examples", m_dir / "code.tar.gz");
    QVERIFY(bundle.ok());
    int rc = 0;
    helper({"put", m_base, "jobs/job-az/code.tar.gz", (m_dir / "code.tar.gz").string()}, &rc);
    QCOMPARE(rc, 0);
    const std::string sas = helper({"sas", m_base});
    std::string out;
    QCOMPARE(runAgent("job-az", sas.substr(0, sas.find('\n')), "python3 train.py --steps 80 --step-seconds 0.01 --checkpoint-every 10", &out), 0);
    const json status = json::parse(helper({"get", m_base, "jobs/job-az/status.json"}), nullptr, false);
    QVERIFY2(status.value("state", "") == "succeeded", out.c_str());
    QCOMPARE(status.value("step", 0), 80);
    QCOMPARE(helper({"get", m_base, "jobs/job-az/result/model.bin"}).size(), std::size_t{72});
    const json latest = json::parse(helper({"get", m_base, "jobs/job-az/checkpoints/LATEST"}), nullptr, false);
    QVERIFY(latest.value("seq", 0) >= 1);
    const std::string listing = helper({"list", m_base});
    QVERIFY(listing.find("jobs/job-az/logs/attempt-1.log") != std::string::npos);
  }

  void tamperedSasIsRefused() {
    std::string sas = helper({"sas", m_base});
    sas = sas.substr(0, sas.find('\n'));
    const auto sig = sas.find("sig=");
    QVERIFY(sig != std::string::npos);
    sas.insert(sig + 4, "AAAA");
    std::string out;
    QCOMPARE(runAgent("job-bad", sas, "true", &out), 3);  // EXIT_STORAGE
    QVERIFY2(out.find("HTTP 403") != std::string::npos, out.c_str());
  }
};

QTEST_APPLESS_MAIN(AgentAzuriteLabTest)
#include "AgentAzuriteLabTest.moc"
