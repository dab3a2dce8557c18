#include "ui/prices/RefreshController.h"

#include <QDir>
#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>

#include "core/http/CurlHttpClient.h"
#include "ui/models/QtConvert.h"

namespace spotwise::ui {

namespace {

/** Opens the history, stores `sources` (if any), assembles the catalog. Runs on a worker thread. */
RefreshOutcome finish(const QString& databasePath, const pricing::Snapshot& embedded, RefreshOutcome outcome) {
  QDir().mkpath(QFileInfo(databasePath).absolutePath());
  auto history = pricing::PriceHistory::open(databasePath.toStdString());
  if (!history) {
    outcome.error = toQString(history.error().message);
    return outcome;
  }
  if (outcome.ranNetwork) {
    if (auto stored = pricing::storeRefresh(*history, outcome.sources); !stored) outcome.error = toQString(stored.error().message);
  }
  if (auto health = history->health()) outcome.health = std::move(health.value());
  bool anyLive = false;
  for (const auto& h : outcome.health) anyLive = anyLive || h.lastSuccessUnix.has_value();
  if (!anyLive) return outcome;
  auto catalog = pricing::assembleLiveCatalog(*history, embedded);
  if (!catalog) {
    outcome.error = toQString(catalog.error().message);
    return outcome;
  }
  outcome.catalog = std::move(catalog.value());
  return outcome;
}

}  // namespace

bool ProgressThrottle::pass(std::string_view sourceId, const pricing::sources::FetchProgress& p) {
  std::lock_guard lock(m_mutex);
  auto it = m_last.find(sourceId);
  if (it == m_last.end()) {  // the source's first report
    m_last.emplace(std::string(sourceId), Last{p.done, p.total});
    return true;
  }
  Last& last = it->second;
  if (p.done < last.done || p.total != last.total) {  // a new file
    last = Last{p.done, p.total};
    return true;
  }
  const std::uint64_t step = p.total > 0 ? p.total / 100 : (p.unit == "pages" ? 1 : std::uint64_t{1} << 20);
  if (p.done != p.total && p.done < last.done + step) return false;
  last.done = p.done;
  return true;
}

RefreshController::RefreshController(QObject* parent) : QObject(parent) {
  connect(&m_watcher, &QFutureWatcher<RefreshOutcome>::finished, this, [this] { Q_EMIT finished(m_watcher.result()); });
}

RefreshController::~RefreshController() {
  cancel();
  wait();
}

void RefreshController::setConfig(pricing::RefreshConfig config, QString databasePath) {
  m_config = std::move(config);
  m_databasePath = std::move(databasePath);
}

void RefreshController::start(const pricing::Snapshot& embedded) {
  if (m_watcher.isRunning()) return;
  m_stop = std::make_shared<std::stop_source>();
  const auto stop = m_stop;
  const auto config = m_config;
  const QString path = m_databasePath;
  m_watcher.setFuture(QtConcurrent::run([this, stop, config, path, embedded] {
    http::CurlHttpClient client;
    // Progress arrives from the source threads; forward at most every 1 % or page of each file.
    ProgressThrottle throttle;
    auto progress = [&](std::string_view id, const pricing::sources::FetchProgress& p) {
      if (!throttle.pass(id, p)) return;
      Q_EMIT sourceProgress(toQString(id), static_cast<qint64>(p.done), static_cast<qint64>(p.total), toQString(p.unit));
    };
    RefreshOutcome outcome;
    outcome.ranNetwork = true;
    outcome.sources = pricing::refreshAll(client, config, progress, stop->get_token());
    return finish(path, embedded, std::move(outcome));
  }));
}

void RefreshController::loadStored(const pricing::Snapshot& embedded) {
  if (m_watcher.isRunning() || m_databasePath.isEmpty()) return;
  const QString path = m_databasePath;
  m_watcher.setFuture(QtConcurrent::run([path, embedded] { return finish(path, embedded, RefreshOutcome{}); }));
}

void RefreshController::cancel() {
  if (m_stop) m_stop->request_stop();
}

void RefreshController::wait() { m_watcher.waitForFinished(); }

}  // namespace spotwise::ui
