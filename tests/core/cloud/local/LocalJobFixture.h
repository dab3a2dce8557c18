#pragma once

// Shared by the Local provider tests: a provider per test in a temporary folder, the example
// workload packed and uploaded, the agent rendered by core/agent and launched as an attempt.

#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "core/agent/AgentRenderer.h"
#include "core/agent/AgentTestFixtures.h"
#include "core/agent/CodeBundle.h"
#include "core/cloud/local/LocalProvider.h"

namespace spotwise::test {

using namespace spotwise::cloud;
using nlohmann::json;

constexpr double kPrice = 1.20;  // $/h of the "offer" the rehearsal simulates

inline const char* msg(const Error& e) {
  static thread_local std::string text;
  text = e.toString();
  return text.c_str();
}

class LocalJobFixture {
 protected:
  QTemporaryDir m_tmp;
  int m_counter = 0;

  fs::path root() { return fs::path(m_tmp.path().toStdString()); }

  local::LocalProviderOptions options(const std::string& name) {
    local::LocalProviderOptions o;
    o.root = root() / name;
    o.rehearsal.noticeSeconds = 30;
    const fs::path bin = makeFakeNvidiaSmi(root() / "bin");
    o.instanceEnvironment["PATH"] = bin.string() + ":" + std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
    return o;
  }

  /** Renders the agent for one attempt of the example workload and launches it. */
  Result<Instance> launchAttempt(local::LocalProvider& provider, const std::string& jobId, int attempt, const std::string& command) {
    auto access = provider.issueInstanceAccess(jobId, "jobs/" + jobId, 0, {});
    if (!access) return access.error();
    agent::AgentConfig config;
    config.provider = "local";
    config.jobId = jobId;
    config.attempt = attempt;
    config.command = command;
    config.storage.kind = "local";
    config.storage.path = access->values.at("path");
    config.graceSeconds = 5;
    config.pollSeconds = 1;
    config.heartbeatSeconds = 1;
    config.syncSeconds = 2;
    config.driver = agent::DriverMode::Skip;
    config.expectGpu = false;
    config.powerOff = false;
    auto rendered = agent::renderStartupScript(config);
    if (!rendered) return rendered.error();
    LaunchSpec spec;
    spec.jobId = jobId;
    spec.attempt = attempt;
    spec.region = "local";
    spec.instanceType = "local-a100";
    spec.maxPricePerHour = kPrice;
    spec.startupScript = rendered->script;
    return provider.compute().launch(spec, {});
  }

  void uploadExample(local::LocalProvider& provider, const std::string& jobId) {
    const fs::path archive = root() / ("code-" + jobId + ".tar.gz");
    auto bundle = agent::packCodeFolder(sourceDir() / "resources" / "examples", archive);
    QVERIFY2(bundle.ok(), bundle.ok() ? "" : msg(bundle.error()));
    auto put = provider.storage().putFile("jobs/" + jobId + "/code.tar.gz", archive, {});
    QVERIFY2(put.ok(), put.ok() ? "" : msg(put.error()));
  }

  Instance describeOne(local::LocalProvider& provider, const std::string& id) {
    auto list = provider.compute().describe({{"local", id}}, {});
    if (!list || list->size() != 1) return {};
    return list->front();
  }

  bool waitTerminated(local::LocalProvider& provider, const std::string& id, double seconds) {
    return waitFor([&] { return describeOne(provider, id).state == InstanceState::Terminated; }, seconds);
  }

  json status(local::LocalProvider& provider, const std::string& jobId) {
    auto text = provider.storage().get("jobs/" + jobId + "/status.json", {});
    if (!text) return json::object();
    auto doc = json::parse(*text, nullptr, false);
    return doc.is_object() ? doc : json::object();
  }

  std::string newJob() { return "job" + std::to_string(::getpid()) + "-" + std::to_string(++m_counter); }

  /** No process anywhere still runs from this sandbox (checked in /proc, not trusted from the provider). */
  static bool nothingRunsFrom(const fs::path& sandbox) {
    const std::string needle = sandbox.string();
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline = readIfExists(entry.path() / "cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      const std::string stat = readIfExists(entry.path() / "stat");
      const auto close = stat.rfind(')');
      const bool zombie = close != std::string::npos && stat.size() > close + 2 && stat[close + 2] == 'Z';
      if (!zombie && cmdline.find(needle) != std::string::npos) return false;
    }
    return true;
  }

};

}  // namespace spotwise::test
