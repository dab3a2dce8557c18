#pragma once

#include <QString>
#include <QWidget>

#include <cstdint>
#include <filesystem>

#include "core/jobs/JobSpec.h"
#include "core/jobs/Runtime.h"
#include "ui/jobs/JobsSupervisor.h"

class QChartView;
class QFrame;
class QLabel;
class QLineSeries;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTableView;
class QThread;
class QValueAxis;

namespace spotwise::ui {

class AttemptsTimeline;
class JobTableModel;

/**
 * The Jobs page: every job of the ledger with its state, progress, spend against the budget and
 * attempts, updating live; a detail view of the selected job (attempts timeline with preemptions,
 * cumulative spend, log tail, Stop, and "Preempt now" for Local rehearsals); start-up reconciliation
 * with re-attached jobs and orphans. The app supervises jobs itself: the controller lives on a worker
 * thread (JobsSupervisor) and the page only shows the snapshots it publishes, so the GUI never waits
 * on a provider.
 */
class JobsPage : public QWidget {
  Q_OBJECT

 public:
  explicit JobsPage(QWidget* parent = nullptr);
  ~JobsPage() override;

  /** What the app uses: the default ledger and Local folder, a 10 s poll, 10 s agent heartbeats. */
  static jobs::RuntimeOptions defaultRuntimeOptions();
  /**
   * The example workload (resources/examples/train.py, copied to `codeDir`) as a Local rehearsal job
   * whose bucket is `bucket`: the first thing a newcomer launches.
   */
  static Result<jobs::JobSpec> exampleSpec(const std::filesystem::path& codeDir, const std::filesystem::path& bucket);

  /**
   * Opens the jobs runtime (ledger, providers, controller) on the worker thread, reconciles, then
   * supervises every `options.controller.pollIntervalMs`. Called once; MainWindow uses the defaults.
   * `refreshMs`: how often the ledger is re-read for the table (changes by other processes, live spend).
   */
  void start(jobs::RuntimeOptions options, int refreshMs = 2000);
  [[nodiscard]] bool isStarted() const { return m_supervisor != nullptr; }

  [[nodiscard]] JobTableModel* model() const { return m_model; }
  [[nodiscard]] AttemptsTimeline* timeline() const { return m_timeline; }
  [[nodiscard]] QLineSeries* spendSeries() const { return m_spendSeries; }
  /** Jobs that have not ended (as of the last snapshot). */
  [[nodiscard]] int activeJobCount() const;
  [[nodiscard]] QString selectedJobId() const { return m_selectedId; }
  void selectJob(const QString& jobId);

 public Q_SLOTS:
  /**
   * Submits `spec` through the controller (on the worker thread), then selects the new job; an
   * invalid spec or a failure is reported inline on the page and by launchFailed().
   */
  void launch(const spotwise::jobs::JobSpec& spec);
  /** Launches the example workload on Local (the empty state's button). */
  void launchExample();
  /** Asks for confirmation, then stops the selected job. */
  void stopSelected();
  /** Local rehearsal: a spot interruption notice to the selected job's instance now. */
  void preemptSelected();
  /** Asks for confirmation, then terminates the orphans start-up reconciliation found. */
  void terminateOrphans();

 Q_SIGNALS:
  /** launch() recorded the job (it starts on the next poll). */
  void jobLaunched(const QString& jobId);
  /** launch() was refused; `message` names what was wrong. */
  void launchFailed(const QString& message);
  /** Something worth a desktop notification happened to a job. */
  void notification(const QString& title, const QString& message);
  /** Start-up reconciliation is done (or failed); the table shows the ledger. */
  void startupFinished();
  /** A snapshot from the supervisor was applied to the table. */
  void snapshotApplied();
  /** One poll cycle ended on the worker. */
  void ticked(qint64 elapsedMs);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void buildDetail(QWidget* detail);
  void applySnapshot(const JobsSnapshot& snapshot);
  void applyDetail(const JobDetail& detail);
  void applyStartup(const StartupReport& report);
  void applyNotice(const JobNotice& notice);
  void updateDetailHeader();
  void showInlineError(const QString& message);

  QThread* m_thread = nullptr;
  JobsSupervisor* m_supervisor = nullptr;
  jobs::RuntimeOptions m_options;
  quint64 m_nextRequest = 1;
  quint64 m_pendingLaunch = 0;
  QString m_selectedId;
  std::int64_t m_lastSpendAtMs = -1;
  std::size_t m_lastEventCount = 0;
  QString m_lastDetailJob;

  JobTableModel* m_model;
  QLabel* m_status = nullptr;
  QLabel* m_error = nullptr;
  QFrame* m_startupBox = nullptr;
  QLabel* m_startupLabel = nullptr;
  QPushButton* m_terminateOrphans = nullptr;
  std::vector<jobs::Orphan> m_orphans;
  QStackedWidget* m_stack = nullptr;
  QWidget* m_empty = nullptr;
  QLabel* m_emptyText = nullptr;  ///< the first-run text, set at the first showEvent
  QPushButton* m_launchExample = nullptr;
  QTableView* m_table = nullptr;
  QWidget* m_detail = nullptr;
  QLabel* m_detailTitle = nullptr;
  QLabel* m_detailInfo = nullptr;
  QPushButton* m_stop = nullptr;
  QPushButton* m_preempt = nullptr;
  AttemptsTimeline* m_timeline = nullptr;
  QChartView* m_spendView = nullptr;
  QLineSeries* m_spendSeries = nullptr;
  QLineSeries* m_budgetSeries = nullptr;
  QValueAxis* m_spendX = nullptr;
  QValueAxis* m_spendY = nullptr;
  QPlainTextEdit* m_log = nullptr;
  QPlainTextEdit* m_history = nullptr;
};

}  // namespace spotwise::ui
