#pragma once

// A cloud-lab peer (tests/lab/peers/*.py) started by the test itself: a real server on a free
// loopback port chosen by the kernel. The peer prints one JSON line when ready and then answers
// JSON commands on stdin (faults, recorded requests, preemptions). It exits when its stdin
// closes, and gets SIGKILL if the test process dies (PR_SET_PDEATHSIG), so it is torn down
// whether the test passes, fails or crashes.

#include <sys/prctl.h>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <vector>

#include "TestSupport.h"
#include "core/cloud/ApiCall.h"
#include "core/http/Retry.h"

namespace spotwise::test {

inline bool inCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string_view(ci) == "true";
}

inline QString labPeerScript(const char* name) {
  return QString::fromStdString((sourceDir() / "tests/lab/peers" / name).string());
}

class LabPeer {
 public:
  LabPeer(const QString& program, const QStringList& args) {
    m_process.setProgram(program);
    m_process.setArguments(args);
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_process.start();
    if (!m_process.waitForStarted(10000)) {
      m_why = QStringLiteral("cannot start %1: %2").arg(program, m_process.errorString());
      return;
    }
    const QByteArray line = readLine(60000);
    const auto doc = QJsonDocument::fromJson(line);
    if (!doc.isObject() || doc.object().contains(QStringLiteral("error"))) {
      m_why = QStringLiteral("%1 %2 did not become ready: %3 %4")
                  .arg(program, args.join(QLatin1Char(' ')), QString::fromUtf8(line),
                       QString::fromUtf8(m_process.readAllStandardError().right(2000)));
      return;
    }
    m_ready = doc.object();
  }

  ~LabPeer() {
    if (m_process.state() == QProcess::NotRunning) return;
    m_process.closeWriteChannel();
    if (!m_process.waitForFinished(5000)) {
      m_process.kill();
      m_process.waitForFinished(2000);
    }
  }

  LabPeer(const LabPeer&) = delete;
  LabPeer& operator=(const LabPeer&) = delete;

  [[nodiscard]] bool ok() const { return !m_ready.isEmpty(); }
  [[nodiscard]] const QString& why() const { return m_why; }
  [[nodiscard]] std::string value(const char* key) const { return m_ready.value(QLatin1String(key)).toString().toStdString(); }
  [[nodiscard]] int number(const char* key) const { return m_ready.value(QLatin1String(key)).toInt(); }

  /** Sends one command; fails the test (returns null) when the peer reports an error. */
  QJsonValue command(const QJsonObject& request) {
    m_process.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    m_process.waitForBytesWritten(5000);
    const auto answer = QJsonDocument::fromJson(readLine(30000)).object();
    if (!answer.value(QStringLiteral("ok")).toBool()) {
      qWarning("lab peer command failed: %s", answer.value(QStringLiteral("error")).toString().toUtf8().constData());
      return {};
    }
    return answer.value(QStringLiteral("result"));
  }

  /** Queues a fault (see labhttp.py): kind, match, count, status, body, retryAfter, seconds. */
  void fault(const QJsonObject& f) { command({{QStringLiteral("cmd"), QStringLiteral("fault")}, {QStringLiteral("fault"), f}}); }
  void clear() { command({{QStringLiteral("cmd"), QStringLiteral("clear")}}); }
  /** Requests seen whose "METHOD PATH?QUERY BODY" text matches the regular expression. */
  QJsonArray requests(const QString& match = {}) {
    return command({{QStringLiteral("cmd"), QStringLiteral("requests")}, {QStringLiteral("match"), match}}).toArray();
  }

 private:
  QByteArray readLine(int timeoutMs) {
    QElapsedTimer timer;
    timer.start();
    while (!m_process.canReadLine()) {
      if (m_process.state() == QProcess::NotRunning || timer.elapsed() > timeoutMs) return m_process.readAllStandardOutput();
      m_process.waitForReadyRead(100);
    }
    return m_process.readLine().trimmed();
  }

  QProcess m_process;
  QJsonObject m_ready;
  QString m_why;
};

/** Skips (or, with CI=true, fails) the test when the peer did not start. */
#define SPOTWISE_REQUIRE_PEER(peer)                                                          \
  do {                                                                                       \
    if (!(peer).ok()) {                                                                      \
      if (::spotwise::test::inCi()) QFAIL(qPrintable(QStringLiteral("CI needs this peer: ") + (peer).why())); \
      QSKIP(qPrintable(QStringLiteral("lab peer missing: ") + (peer).why()));                \
    }                                                                                        \
  } while (false)

/** A sleeper that records what it was asked to wait and returns at once. Thread-safe. */
class RecordingSleeper final : public http::Sleeper {
 public:
  bool sleepFor(std::chrono::milliseconds duration, const std::stop_token& stop) override {
    std::lock_guard lock(m_mutex);
    m_sleeps.push_back(duration);
    return !stop.stop_requested();
  }
  std::vector<std::chrono::milliseconds> sleeps() {
    std::lock_guard lock(m_mutex);
    return m_sleeps;
  }
  void reset() {
    std::lock_guard lock(m_mutex);
    m_sleeps.clear();
  }

 private:
  std::mutex m_mutex;
  std::vector<std::chrono::milliseconds> m_sleeps;
};

inline QJsonObject faultSpec(std::initializer_list<QPair<QString, QJsonValue>> fields) {
  QJsonObject o;
  for (const auto& [k, v] : fields) o.insert(k, v);
  return o;
}

/** A peer run by python3 (tests/lab/peers/<script>); check it with SPOTWISE_REQUIRE_PEER. */
inline std::unique_ptr<LabPeer> pythonPeer(const char* script) {
  return std::make_unique<LabPeer>(QStringLiteral("python3"), QStringList{labPeerScript(script)});
}

/**
 * moto (IAM + STS) with SigV4 checking (tests/lab/servers/moto_sts_server.py). Ready line: port,
 * accessKeyId, secretAccessKey (of an IAM user that may do anything), roleArn, userArn.
 */
inline std::unique_ptr<LabPeer> motoStsPeer() {
  return std::make_unique<LabPeer>(
      QStringLiteral("python3"),
      QStringList{QString::fromStdString((sourceDir() / "tests/lab/servers/moto_sts_server.py").string())});
}

/** A deadline `s` from now. */
inline cloud::CallOptions within(std::chrono::seconds s = std::chrono::seconds(30)) {
  cloud::CallOptions o;
  o.deadline = std::chrono::steady_clock::now() + s;
  return o;
}

/**
 * The lab's transport: 4 attempts, 1.5 s per attempt (so the "hang" fault costs seconds, not
 * minutes), the test's recording sleeper (no real waits) and a fixed jitter seed.
 */
inline cloud::Transport labTransport(http::HttpClient& client, http::Sleeper& sleeper, const http::SteadyClock& clock,
                                     std::uint64_t jitterSeed) {
  cloud::Transport t;
  t.client = &client;
  t.sleeper = &sleeper;
  t.clock = &clock;
  t.retry.maxAttempts = 4;
  t.attemptTimeout = std::chrono::milliseconds(1500);
  t.stallTimeout = std::chrono::milliseconds(1500);
  t.jitterSeed = jitterSeed;
  return t;
}

/** A "status" fault: answer `status` with `body` (and Content-Type / Retry-After when given). */
inline QJsonObject statusFault(int status, const QString& body, const QString& contentType = {}, int retryAfter = 0) {
  QJsonObject f{{QStringLiteral("kind"), QStringLiteral("status")}, {QStringLiteral("status"), status},
                {QStringLiteral("body"), body}};
  if (!contentType.isEmpty()) f.insert(QStringLiteral("contentType"), contentType);
  if (retryAfter > 0) f.insert(QStringLiteral("retryAfter"), retryAfter);
  return f;
}

/**
 * The transport faults every provider's retry test runs, as rows of a (QJsonObject fault,
 * int minSleepMs) table: a hang past the attempt timeout, a request acted on and then timed out,
 * a truncated body, a garbled body (`garbled` names it: "not json", "not xml"), a reset.
 */
inline void addTransportFaultRows(const char* garbled) {
  const auto kind = [](const char* k) { return QJsonObject{{QStringLiteral("kind"), QLatin1String(k)}}; };
  QJsonObject hang = kind("hang");
  hang.insert(QStringLiteral("seconds"), 5);
  QTest::newRow("timeout") << hang << 0;
  QJsonObject late = kind("late");
  late.insert(QStringLiteral("seconds"), 3);
  QTest::newRow("acted, then timed out") << late << 0;
  QTest::newRow("truncated") << kind("truncate") << 0;
  QTest::newRow(garbled) << kind("nonjson") << 0;
  QTest::newRow("reset") << kind("reset") << 0;
}

}  // namespace spotwise::test
