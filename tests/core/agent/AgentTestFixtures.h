#pragma once

// Helpers shared by the agent and Local provider tests: temporary folders, a fake nvidia-smi,
// the metadata service (resources/local/local_instance.py --metadata-only) and process cleanup.

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/agent/AgentRenderer.h"

namespace spotwise::test {

namespace fs = std::filesystem;

inline void writeText(const fs::path& path, const std::string& text, bool executable = false) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  if (executable) fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
}

inline std::string readIfExists(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline nlohmann::json readJsonFile(const fs::path& path) {
  auto doc = nlohmann::json::parse(readIfExists(path), nullptr, false);
  return doc.is_discarded() || !doc.is_object() ? nlohmann::json::object() : doc;
}

/** Polls `done` every 20 ms until it holds or `seconds` pass. */
inline bool waitFor(const std::function<bool()>& done, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

/** Every live (non-zombie) pid of session `sid`, from /proc. */
inline std::vector<int> sessionPids(int sid) {
  std::vector<int> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = readIfExists(entry.path() / "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string state, ppid, pgrp, session;
    fields >> state >> ppid >> pgrp >> session;
    if (state != "Z" && std::atoi(session.c_str()) == sid) pids.push_back(std::stoi(name));
  }
  return pids;
}

inline void killSessionPids(int sid) {
  for (int i = 0; i < 100; ++i) {
    auto pids = sessionPids(sid);
    if (pids.empty()) return;
    for (int pid : pids) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

/** A process started in its own session; everything in that session is killed on destruction. */
class SessionProcess {
 public:
  SessionProcess() {
    m_process.setChildProcessModifier([] { ::setsid(); });
    m_process.setProcessChannelMode(QProcess::MergedChannels);
  }
  ~SessionProcess() {
    if (m_sid > 0) killSessionPids(m_sid);
    m_process.kill();
    m_process.waitForFinished(2000);
  }
  SessionProcess(const SessionProcess&) = delete;
  SessionProcess& operator=(const SessionProcess&) = delete;

  bool start(const QString& program, const QStringList& args, const QProcessEnvironment& env) {
    m_process.setProcessEnvironment(env);
    m_process.start(program, args);
    if (!m_process.waitForStarted(5000)) return false;
    m_sid = static_cast<int>(m_process.processId());
    return true;
  }
  /** Exit code, or -1 when it did not finish within `ms`. */
  int waitExit(int ms) {
    if (!m_process.waitForFinished(ms)) return -1;
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : 128 + SIGKILL;
  }
  [[nodiscard]] int sid() const { return m_sid; }
  [[nodiscard]] qint64 pid() const { return m_process.processId(); }
  QByteArray output() { return m_process.readAll(); }
  QProcess& process() { return m_process; }

 private:
  QProcess m_process;
  int m_sid = 0;
};

/** A loopback TCP port that was free a moment ago (bound, read and released), for a peer to listen on. */
inline int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/** An instance's agent folder: the embedded agent.py and `config` as config.json in `dir`. */
inline void writeAgent(const fs::path& dir, const nlohmann::json& config) {
  writeText(dir / "agent.py", std::string(agent::agentPythonSource()));
  writeText(dir / "config.json", config.dump());
}

/** How one run of an agent verb ended: its exit code (-1: still running at the timeout) and all it printed. */
struct AgentExit {
  int code = -1;
  std::string output;
};

/** A bin folder with a fake nvidia-smi that prints one GPU. */
inline fs::path makeFakeNvidiaSmi(const fs::path& dir, const std::string& line = "NVIDIA A100-SXM4-80GB, 81920, 37") {
  writeText(dir / "nvidia-smi", "#!/bin/sh\necho '" + line + "'\n", true);
  return dir;
}

/** The metadata service of a Local instance, alone (AWS IMDSv2, GCP and Azure shapes). */
class FakeMetadata {
 public:
  explicit FakeMetadata(const fs::path& dir, const std::string& script) : m_dir(dir) {
    fs::create_directories(dir);
    writeText(dir / "local_instance.py", script);
  }
  bool start() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!m_process.start(QStringLiteral("python3"), {QString::fromStdString((m_dir / "local_instance.py").string()),
                                                      QStringLiteral("--metadata-only"), QString::fromStdString(m_dir.string())},
                         env))
      return false;
    if (!waitFor([&] { return fs::exists(m_dir / "port"); }, 10)) return false;
    m_endpoint = "http://127.0.0.1:" + readIfExists(m_dir / "port");
    return true;
  }
  /** Issues a preemption notice: the machine goes away `seconds` from now. */
  void preempt(double seconds) {
    writeText(m_dir / "preempt.tmp", std::to_string(seconds));
    fs::rename(m_dir / "preempt.tmp", m_dir / "preempt");
  }
  [[nodiscard]] const std::string& endpoint() const { return m_endpoint; }

 private:
  fs::path m_dir;
  SessionProcess m_process;
  std::string m_endpoint;
};

/**
 * Runs `python3 <dir>/agent.py <verb> --config <dir>/config.json` (see writeAgent) as a session of
 * its own, with the instance metadata service at `imdsEndpoint`, and waits up to `timeoutMs`.
 * Code -3 when python3 did not start.
 */
inline AgentExit runAgentVerb(const fs::path& dir, const std::string& verb, const std::string& imdsEndpoint,
                              int timeoutMs) {
  SessionProcess run;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert(QStringLiteral("SPOTWISE_IMDS_ENDPOINT"), QString::fromStdString(imdsEndpoint));
  if (!run.start(QStringLiteral("python3"),
                 {QString::fromStdString((dir / "agent.py").string()), QString::fromStdString(verb),
                  QStringLiteral("--config"), QString::fromStdString((dir / "config.json").string())},
                 env))
    return {-3, {}};
  const int code = run.waitExit(timeoutMs);
  return {code, run.output().toStdString()};
}

}  // namespace spotwise::test
