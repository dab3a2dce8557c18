#pragma once

// Shared by the agent process tests: a bucket folder, an agent folder with config.json and the
// embedded agent, fake tools on PATH, and the agent started as a session of its own.

#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include "core/agent/AgentRenderer.h"
#include "core/agent/AgentTestFixtures.h"
#include "core/agent/CodeBundle.h"
#include "core/cloud/local/LocalProvider.h"

namespace spotwise::test {

using nlohmann::json;

class AgentProcessFixture {
 protected:
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

  void setUpDirs() {
    QVERIFY(m_tmp.isValid());
    m_bucket = root() / ("bucket-" + std::to_string(std::rand())) / "jobs" / "job-test";
    m_agentDir = root() / ("agent-" + std::to_string(std::rand()));
    m_bin = root() / "bin";
    fs::create_directories(m_bucket);
    fs::create_directories(m_agentDir);
    fs::create_directories(m_bin);
  }

};

}  // namespace spotwise::test
