#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/pricing/LiveCatalog.h"
#include "core/pricing/PriceRefresh.h"
#include "core/pricing/Snapshot.h"

namespace spotwise::ui {

/** What a background refresh (or a load of the stored data) produced. */
struct RefreshOutcome {
  bool ranNetwork = false;                          ///< false: only the stored history was read
  std::vector<pricing::SourceOutcome> sources;      ///< per live source, when ranNetwork
  std::optional<pricing::LiveCatalog> catalog;      ///< the merged offers; nullopt when no live data
  std::vector<pricing::SourceHealth> health;        ///< per source: last success, last attempt
  QString error;                                    ///< storage failure (the refresh itself never fails as a whole)
};

/**
 * Which progress reports of the sources go on to the GUI: per source, at most one per 1 % of its total
 * (or per page, or per MiB when the total is unknown), and every report of a finished total. A report
 * below the last one passed, or with another total, starts a new file (AWS on-demand downloads one per
 * region; a retry starts over): it passes, and the counting starts again from it. Thread-safe.
 */
class ProgressThrottle {
 public:
  /** True when `progress` of `sourceId` should be shown. */
  bool pass(std::string_view sourceId, const pricing::sources::FetchProgress& progress);

 private:
  struct Last {
    std::uint64_t done = 0;
    std::uint64_t total = 0;
  };
  std::mutex m_mutex;
  std::map<std::string, Last, std::less<>> m_last;
};

/**
 * Runs live refreshes off the GUI thread (QtConcurrent + QFutureWatcher): all sources at once,
 * progress per source as signals, cancellable; stores the outcome in the price history and
 * assembles the catalog there too, so the GUI thread only swaps the model. Starting the app never
 * waits for the network: `loadStored` reads the last good data of each source only.
 */
class RefreshController : public QObject {
  Q_OBJECT

 public:
  explicit RefreshController(QObject* parent = nullptr);
  ~RefreshController() override;

  void setConfig(pricing::RefreshConfig config, QString databasePath);
  [[nodiscard]] const QString& databasePath() const { return m_databasePath; }
  [[nodiscard]] bool isRunning() const { return m_watcher.isRunning(); }

  /** Refreshes every live source, then merges with `embedded`. Ignored while one runs. */
  void start(const pricing::Snapshot& embedded);
  /** Reads the stored last good data (no network), then merges with `embedded`. */
  void loadStored(const pricing::Snapshot& embedded);
  /** Cancels the running refresh; its sources end as Cancelled, stored data stays. */
  void cancel();
  /** Blocks until the running job ends (tests, shutdown). */
  void wait();

 Q_SIGNALS:
  void sourceProgress(const QString& sourceId, qint64 done, qint64 total, const QString& unit);
  void finished(const spotwise::ui::RefreshOutcome& outcome);

 private:
  pricing::RefreshConfig m_config;
  QString m_databasePath;
  std::shared_ptr<std::stop_source> m_stop;
  QFutureWatcher<RefreshOutcome> m_watcher;
};

}  // namespace spotwise::ui
