#pragma once

#include <QMetaType>
#include <QObject>
#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/jobs/Runtime.h"

class QTimer;

namespace spotwise::ui {

/** One job as the Jobs table shows it, read from the ledger on the worker thread. */
struct JobRow {
  std::string id;
  std::string name;
  std::string provider;
  std::string region;
  std::string instanceType;
  bool spot = true;
  bool rehearsal = false;       ///< Local: nothing is billed, spend is simulated at the offer's price
  std::string state;            ///< jobStateName()
  std::string message;
  bool terminal = false;
  bool stopping = false;        ///< a stop was requested and waits for the provider to confirm
  std::int64_t step = -1;
  std::int64_t total = -1;
  std::int64_t etaSeconds = -1; ///< -1: unknown
  double spendUsd = 0.0;
  double budgetUsd = 0.0;
  double burnUsdPerHour = 0.0;
  int attempts = 0;
  int preemptions = 0;
  int currentAttempt = 0;
  std::string liveInstanceId;   ///< the current attempt's instance while it is not ended ("" otherwise)
  std::int64_t createdMs = 0;
  std::int64_t updatedMs = 0;
  bool operator==(const JobRow&) const = default;
};

/** Every job of the ledger, newest first. */
struct JobsSnapshot {
  std::vector<JobRow> jobs;
  std::int64_t atMs = 0;
};

/** What the detail view shows of one job. */
struct JobDetail {
  std::string jobId;
  std::vector<ledger::AttemptRecord> attempts;
  std::vector<double> attemptUsd;        ///< spend of each attempt, same order
  std::vector<ledger::EventRecord> events;
  std::vector<ledger::SpendSample> spend;  ///< cumulative spend at each poll
  int logAttempt = 0;
  std::string logTail;                   ///< the last lines of the attempt's log ("" when none yet)
  std::string logError;                  ///< why there is no log
  std::int64_t atMs = 0;
};

/** What start-up reconciliation found. */
struct StartupReport {
  std::vector<std::string> reattached;  ///< job names (ids)
  std::vector<jobs::Orphan> orphans;
  std::vector<std::string> cleaned;
  std::string error;                    ///< the runtime could not be opened or reconciliation failed
};

/** A change worth a desktop notification. */
struct JobNotice {
  enum class Kind { Preempted, Resumed, Succeeded, Failed, BudgetExceeded };
  Kind kind = Kind::Preempted;
  std::string jobId;
  std::string name;
  std::string text;
};

/**
 * Supervises jobs for the app on its own thread: owns the jobs runtime (ledger, providers,
 * controller), reconciles when opened, then calls Controller::tick() every poll interval (every
 * second while a job is being launched, relaunched or stopped) and re-reads the ledger every
 * `refreshMs` to publish snapshots, so that changes made by other processes (`spotwise-cli stop`)
 * show too. Create it, move it to a QThread, then call its slots through queued connections only:
 * every provider call blocks, and none may run on the GUI thread.
 */
class JobsSupervisor : public QObject {
  Q_OBJECT

 public:
  explicit JobsSupervisor(jobs::RuntimeOptions options, int refreshMs = 2000);
  ~JobsSupervisor() override;

  /** Seconds between polls while nothing is in flight. */
  [[nodiscard]] std::int64_t pollIntervalMs() const { return m_options.controller.pollIntervalMs; }

 public Q_SLOTS:
  /** Opens the runtime, reconciles, publishes, and starts supervising. */
  void open();
  void submit(quint64 requestId, const spotwise::jobs::JobSpec& spec);
  void requestStop(const QString& jobId);
  /** Local rehearsal: a spot interruption notice to the job's instance now. */
  void preemptNow(const QString& jobId);
  /** Terminates the orphans start-up reconciliation found. */
  void terminateOrphans();
  /** The job whose detail (attempts, events, spend, log tail) is published. */
  void select(const QString& jobId);
  /** Publishes a snapshot now (and the selected job's detail). */
  void refresh();

 Q_SIGNALS:
  void opened(const spotwise::ui::StartupReport& report);
  void snapshotReady(const spotwise::ui::JobsSnapshot& snapshot);
  void detailReady(const spotwise::ui::JobDetail& detail);
  void notice(const spotwise::ui::JobNotice& notice);
  /** submit() finished: the new job's id, or `error` (then the id is empty). */
  void submitted(quint64 requestId, const QString& jobId, const QString& error);
  /** A user action (stop, preempt, terminate) failed. */
  void actionFailed(const QString& message);
  void orphansTerminated(int count);
  /** One poll cycle ended after `elapsedMs`; `errors` lists provider errors met. */
  void ticked(qint64 elapsedMs, const QStringList& errors);

 private:
  void tick();
  void scheduleTick(std::int64_t delayMs);
  void publish(bool readLog);
  JobRow rowFor(const ledger::JobRecord& job, std::int64_t nowMs);
  void emitNotices(const JobRow& row);
  JobDetail detailFor(const std::string& jobId, std::int64_t nowMs, bool readLog);
  [[nodiscard]] bool somethingInFlight() const;

  jobs::RuntimeOptions m_options;
  int m_refreshMs;
  std::unique_ptr<jobs::Runtime> m_runtime;
  QTimer* m_tickTimer = nullptr;
  QTimer* m_refreshTimer = nullptr;
  std::vector<jobs::Orphan> m_orphans;
  std::string m_selected;
  std::vector<JobRow> m_rows;                 ///< the last snapshot
  std::map<std::string, JobRow> m_terminalRows;  ///< rows of ended jobs (they no longer change)
  struct Progress {
    int attempt = 0;
    std::int64_t step = -1;
    std::int64_t atMs = 0;
  };
  std::map<std::string, Progress> m_progressStart;  ///< first progress seen of each job's current attempt (ETA)
  struct Seen {
    std::string state;
    int preemptions = 0;
    int resumedAttempt = 0;
  };
  std::map<std::string, Seen> m_seen;          ///< what notices were given for, per job
  std::map<std::string, double> m_budgets;     ///< parsed once per job (specs never change)
  std::string m_logTail;
  std::string m_logError;
  std::string m_logJob;
  int m_logAttempt = 0;
};

}  // namespace spotwise::ui

Q_DECLARE_METATYPE(spotwise::ui::JobsSnapshot)
Q_DECLARE_METATYPE(spotwise::ui::JobDetail)
Q_DECLARE_METATYPE(spotwise::ui::StartupReport)
Q_DECLARE_METATYPE(spotwise::ui::JobNotice)
Q_DECLARE_METATYPE(spotwise::jobs::JobSpec)
