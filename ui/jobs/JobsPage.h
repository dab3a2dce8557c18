#pragma once

#include <QString>
#include <QWidget>

#include "core/jobs/JobSpec.h"
#include "core/jobs/Runtime.h"

namespace spotwise::ui {

/**
 * The Jobs page: every job of the ledger with its state, progress, spend against the budget and
 * attempts, updating live; a detail view of the selected job (attempts timeline with preemptions,
 * cumulative spend, log tail, Stop, and "Preempt now" for Local rehearsals); start-up reconciliation
 * with re-attached jobs and orphans. The app supervises jobs itself: the controller lives on a worker
 * thread and the page only shows the snapshots it publishes, so the GUI never waits on a provider.
 */
class JobsPage : public QWidget {
  Q_OBJECT

 public:
  explicit JobsPage(QWidget* parent = nullptr);
  ~JobsPage() override;

  /**
   * Opens the jobs runtime (ledger, providers, controller) on the worker thread, reconciles, then
   * supervises every `options.controller.pollIntervalMs`. Called once; MainWindow uses the defaults.
   */
  void start(jobs::RuntimeOptions options);

 public Q_SLOTS:
  /**
   * Submits `spec` through the controller (on the worker thread), then selects the new job; an
   * invalid spec or a failure is reported inline on the page and by launchFailed().
   */
  void launch(const spotwise::jobs::JobSpec& spec);

 Q_SIGNALS:
  /** launch() recorded the job (it starts on the next poll). */
  void jobLaunched(const QString& jobId);
  /** launch() was refused; `message` names what was wrong. */
  void launchFailed(const QString& message);
};

}  // namespace spotwise::ui
