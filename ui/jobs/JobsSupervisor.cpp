#include "ui/jobs/JobsSupervisor.h"

#include <QElapsedTimer>
#include <QStringList>
#include <QTimer>

#include <algorithm>

#include "core/jobs/JobState.h"
#include "core/jobs/Spend.h"

namespace spotwise::ui {

namespace {

constexpr std::int64_t kFastPollMs = 1000;          // while a job is launched, relaunched or stopped
constexpr std::size_t kLogTailBytes = 64 * 1024;    // of the attempt's log, read on each poll
constexpr int kLogTailLines = 200;

QString qs(const std::string& s) { return QString::fromStdString(s); }

std::string tailLines(const std::string& text, int lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int n = 0; n < lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos || pos == 0 ? text : text.substr(pos + 1);
}

bool inFlight(const JobRow& row) {
  if (row.terminal) return false;
  if (row.stopping) return true;
  const auto state = jobs::parseJobState(row.state);
  if (!state) return false;
  switch (*state) {
    case jobs::JobState::Draft:
    case jobs::JobState::Packaging:
    case jobs::JobState::Launching:
    case jobs::JobState::Preempted:
    case jobs::JobState::Relaunching:
      return true;
    case jobs::JobState::Booting:
      return row.provider == "local";  // a Local instance boots in a second; a cloud one in minutes
    default:
      return false;
  }
}

}  // namespace

JobsSupervisor::JobsSupervisor(jobs::RuntimeOptions options, int refreshMs)
    : m_options(std::move(options)), m_refreshMs(refreshMs) {}

JobsSupervisor::~JobsSupervisor() = default;

void JobsSupervisor::open() {
  StartupReport report;
  auto runtime = jobs::openRuntime(m_options);
  if (!runtime) {
    report.error = "Cannot open the job ledger: " + runtime.error().message;
    Q_EMIT opened(report);
    return;
  }
  m_runtime = std::move(*runtime);
  auto reconciled = m_runtime->controller->reconcile();
  if (!reconciled) {
    report.error = "Start-up reconciliation failed (supervision goes on): " + reconciled.error().message;
  } else {
    for (const auto& id : reconciled->reattached) {
      auto job = m_runtime->ledger->job(id);
      report.reattached.push_back(job && *job ? (*job)->name + " (" + id + ")" : id);
    }
    report.orphans = reconciled->orphans;
    report.cleaned = reconciled->cleaned;
    m_orphans = reconciled->orphans;
  }
  m_tickTimer = new QTimer(this);
  m_tickTimer->setSingleShot(true);
  m_tickTimer->setTimerType(Qt::CoarseTimer);
  connect(m_tickTimer, &QTimer::timeout, this, &JobsSupervisor::tick);
  m_refreshTimer = new QTimer(this);
  m_refreshTimer->setTimerType(Qt::CoarseTimer);
  connect(m_refreshTimer, &QTimer::timeout, this, [this] { publish(false); });
  m_refreshTimer->start(m_refreshMs);
  Q_EMIT opened(report);
  tick();
}

void JobsSupervisor::scheduleTick(std::int64_t delayMs) {
  if (!m_tickTimer) return;
  const auto remaining = m_tickTimer->isActive() ? m_tickTimer->remainingTime() : -1;
  if (remaining >= 0 && remaining <= delayMs) return;
  m_tickTimer->start(static_cast<int>(std::max<std::int64_t>(0, delayMs)));
}

bool JobsSupervisor::somethingInFlight() const { return std::ranges::any_of(m_rows, inFlight); }

void JobsSupervisor::tick() {
  if (!m_runtime) return;
  QElapsedTimer elapsed;
  elapsed.start();
  auto report = m_runtime->controller->tick();
  QStringList errors;
  if (!report) {
    errors << qs(report.error().message);
  } else {
    for (const auto& e : report->errors) errors << qs(e);
  }
  publish(true);
  Q_EMIT ticked(elapsed.elapsed(), errors);
  scheduleTick(somethingInFlight() ? std::min(kFastPollMs, pollIntervalMs()) : pollIntervalMs());
}

void JobsSupervisor::submit(quint64 requestId, const jobs::JobSpec& spec) {
  if (!m_runtime) {
    Q_EMIT submitted(requestId, {}, QStringLiteral("Jobs are not supervised: the job ledger could not be opened."));
    return;
  }
  const auto errors = jobs::validateJobSpec(spec);
  if (!errors.empty()) {
    QStringList lines;
    for (const auto& e : errors) lines << qs(e.field + ": " + e.message);
    Q_EMIT submitted(requestId, {}, QStringLiteral("The job is not valid: ") + lines.join(QStringLiteral("; ")));
    return;
  }
  auto id = m_runtime->controller->submit(spec);
  if (!id) {
    Q_EMIT submitted(requestId, {}, qs(id.error().message));
    return;
  }
  m_selected = *id;
  Q_EMIT submitted(requestId, qs(*id), {});
  publish(false);
  scheduleTick(0);
}

void JobsSupervisor::requestStop(const QString& jobId) {
  if (!m_runtime) return;
  if (auto r = m_runtime->controller->requestStop(jobId.toStdString()); !r) {
    Q_EMIT actionFailed(QStringLiteral("Stop %1: %2").arg(jobId, qs(r.error().message)));
    return;
  }
  publish(false);
  scheduleTick(0);
}

void JobsSupervisor::preemptNow(const QString& jobId) {
  if (!m_runtime) return;
  const std::string id = jobId.toStdString();
  auto job = m_runtime->ledger->job(id);
  if (!job || !*job) {
    Q_EMIT actionFailed(QStringLiteral("Preempt now: job %1 is not in the ledger").arg(jobId));
    return;
  }
  auto attempt = m_runtime->ledger->attempt(id, (*job)->currentAttempt);
  if ((*job)->provider != "local" || !attempt || !*attempt || (*attempt)->instanceId.empty() || (*attempt)->endMs != 0) {
    Q_EMIT actionFailed(QStringLiteral("Preempt now: %1 has no running Local instance").arg(qs((*job)->name)));
    return;
  }
  auto local = m_runtime->providers->local();
  if (!local) {
    Q_EMIT actionFailed(QStringLiteral("Preempt now: %1").arg(qs(local.error().message)));
    return;
  }
  if (auto r = (*local)->localCompute().preemptNow((*attempt)->instanceId); !r) {
    Q_EMIT actionFailed(QStringLiteral("Preempt now: %1").arg(qs(r.error().message)));
    return;
  }
  scheduleTick(kFastPollMs);
}

void JobsSupervisor::terminateOrphans() {
  if (!m_runtime || m_orphans.empty()) return;
  if (auto r = m_runtime->controller->terminateOrphans(m_orphans); !r) {
    Q_EMIT actionFailed(QStringLiteral("Terminate orphans: %1").arg(qs(r.error().message)));
    return;
  }
  const int count = static_cast<int>(m_orphans.size());
  m_orphans.clear();
  Q_EMIT orphansTerminated(count);
}

void JobsSupervisor::select(const QString& jobId) {
  m_selected = jobId.toStdString();
  if (!m_runtime || m_selected.empty()) return;
  Q_EMIT detailReady(detailFor(m_selected, m_runtime->clock.nowMs(), true));
}

void JobsSupervisor::refresh() { publish(false); }

JobRow JobsSupervisor::rowFor(const ledger::JobRecord& job, std::int64_t nowMs) {
  if (auto cached = m_terminalRows.find(job.id); cached != m_terminalRows.end() && cached->second.updatedMs == job.updatedMs) {
    return cached->second;
  }
  JobRow row;
  row.id = job.id;
  row.name = job.name;
  row.provider = job.provider;
  row.rehearsal = job.provider == "local";
  row.state = job.state;
  row.message = job.stateMessage;
  const auto state = jobs::parseJobState(job.state);
  row.terminal = state && jobs::isTerminal(*state);
  row.stopping = job.pendingEnd == jobs::jobEventName(jobs::JobEvent::StopConfirmed);
  row.step = job.step;
  row.total = job.totalSteps;
  row.currentAttempt = job.currentAttempt;
  row.createdMs = job.createdMs;
  row.updatedMs = job.updatedMs;

  auto budget = m_budgets.find(job.id);
  if (budget == m_budgets.end()) {
    auto spec = jobs::parseJobSpec(job.specJson);
    budget = m_budgets.emplace(job.id, spec ? spec->budgetUsd : 0.0).first;
    if (spec) {
      row.region = spec->offer.region;
      row.instanceType = spec->offer.instanceType;
      row.spot = spec->offer.spot;
    }
  }
  row.budgetUsd = budget->second;

  const auto attempts = m_runtime->ledger->attempts(job.id).valueOr(std::vector<ledger::AttemptRecord>{});
  const auto spend = jobs::computeSpend(attempts, nowMs);
  row.spendUsd = spend.totalUsd;
  row.burnUsdPerHour = spend.burnUsdPerHour;
  row.attempts = static_cast<int>(std::ranges::count_if(attempts, [](const auto& a) { return a.startMs > 0; }));
  row.preemptions = static_cast<int>(std::ranges::count(attempts, std::string("preempted"), &ledger::AttemptRecord::endCause));
  for (const auto& a : attempts) {
    if (a.number != job.currentAttempt) continue;
    row.region = a.region;
    row.instanceType = a.instanceType;
    row.spot = a.spot;
    if (a.endMs == 0 && !a.instanceId.empty()) row.liveInstanceId = a.instanceId;
  }
  if (row.region.empty() || row.instanceType.empty()) {
    if (auto spec = jobs::parseJobSpec(job.specJson)) {
      row.region = spec->offer.region;
      row.instanceType = spec->offer.instanceType;
      row.spot = spec->offer.spot;
    }
  }

  // ETA from the rate seen since the first progress of the current attempt, at heartbeat times; until
  // two heartbeats were seen here (a job just re-attached), from the attempt's own start and resume step
  // (which counts its boot too, so it errs long).
  if (!row.terminal && job.step >= 0 && job.totalSteps > 0 && job.lastHeartbeatMs > 0) {
    auto& start = m_progressStart[job.id];
    double msPerStep = -1;
    if (start.attempt != job.currentAttempt || job.step < start.step || start.atMs == 0) {
      start = {job.currentAttempt, job.step, job.lastHeartbeatMs};
    } else if (job.step > start.step && job.lastHeartbeatMs > start.atMs) {
      msPerStep = static_cast<double>(job.lastHeartbeatMs - start.atMs) / static_cast<double>(job.step - start.step);
    }
    if (msPerStep < 0) {
      for (const auto& a : attempts) {
        const std::int64_t from = std::max<std::int64_t>(0, a.resumedFromStep);
        if (a.number == job.currentAttempt && a.startMs > 0 && job.step > from && job.lastHeartbeatMs > a.startMs) {
          msPerStep = static_cast<double>(job.lastHeartbeatMs - a.startMs) / static_cast<double>(job.step - from);
        }
      }
    }
    if (msPerStep >= 0) {
      const double remainingMs = msPerStep * static_cast<double>(job.totalSteps - job.step) - static_cast<double>(nowMs - job.lastHeartbeatMs);
      row.etaSeconds = std::max<std::int64_t>(0, static_cast<std::int64_t>(remainingMs / 1000.0 + 0.5));
    }
  }
  if (row.terminal) {
    m_progressStart.erase(job.id);
    if (row.liveInstanceId.empty() && std::ranges::all_of(attempts, [](const auto& a) { return a.startMs == 0 || a.goneMs > 0; })) {
      m_terminalRows[job.id] = row;  // nothing bills any more: the row is final until the job changes
    }
  }
  return row;
}

void JobsSupervisor::emitNotices(const JobRow& row) {
  auto [it, first] = m_seen.try_emplace(row.id);
  Seen& seen = it->second;
  if (first) {
    // A job first seen now (at start-up or launched elsewhere): notices for what happens from here on.
    seen = {row.state, row.preemptions, row.state == "Running" ? row.currentAttempt : 0};
    return;
  }
  const auto say = [&](JobNotice::Kind kind, std::string text) { Q_EMIT notice(JobNotice{kind, row.id, row.name, std::move(text)}); };
  if (row.preemptions > seen.preemptions) {
    say(JobNotice::Kind::Preempted,
        row.name + " was preempted" + (row.step >= 0 ? " at step " + std::to_string(row.step) : std::string()) +
            (row.terminal ? "." : "; it resumes from its latest checkpoint."));
  }
  if (row.state == "Running" && row.currentAttempt > 1 && row.preemptions > 0 && seen.resumedAttempt < row.currentAttempt) {
    say(JobNotice::Kind::Resumed, row.name + " resumed on attempt " + std::to_string(row.currentAttempt) +
                                      (row.step >= 0 ? " at step " + std::to_string(row.step) : std::string()) + ".");
    seen.resumedAttempt = row.currentAttempt;
  } else if (row.state == "Running") {
    seen.resumedAttempt = std::max(seen.resumedAttempt, row.currentAttempt);
  }
  if (row.state != seen.state && row.terminal) {
    char money[64];
    std::snprintf(money, sizeof money, "$%.2f", row.spendUsd);
    const std::string spent = std::string(row.rehearsal ? " (rehearsal) " : " ") + "after " + money;
    if (row.state == "Succeeded") say(JobNotice::Kind::Succeeded, row.name + " finished" + spent + ".");
    if (row.state == "Failed") say(JobNotice::Kind::Failed, row.name + " failed: " + row.message);
    if (row.state == "BudgetExceeded") say(JobNotice::Kind::BudgetExceeded, row.name + " was stopped at its budget" + spent + ".");
  }
  seen.state = row.state;
  seen.preemptions = row.preemptions;
}

void JobsSupervisor::publish(bool readLog) {
  if (!m_runtime) return;
  const std::int64_t now = m_runtime->clock.nowMs();
  JobsSnapshot snapshot;
  snapshot.atMs = now;
  auto all = m_runtime->ledger->jobs();
  if (!all) {
    Q_EMIT actionFailed(QStringLiteral("Reading the job ledger: %1").arg(qs(all.error().message)));
    return;
  }
  snapshot.jobs.reserve(all->size());
  for (const auto& job : *all) {
    snapshot.jobs.push_back(rowFor(job, now));
    emitNotices(snapshot.jobs.back());
  }
  m_rows = snapshot.jobs;
  Q_EMIT snapshotReady(snapshot);
  if (!m_selected.empty()) Q_EMIT detailReady(detailFor(m_selected, now, readLog));
}

JobDetail JobsSupervisor::detailFor(const std::string& jobId, std::int64_t nowMs, bool readLog) {
  JobDetail d;
  d.jobId = jobId;
  d.atMs = nowMs;
  auto& l = *m_runtime->ledger;
  auto job = l.job(jobId);
  if (!job || !*job) return d;
  d.attempts = l.attempts(jobId).valueOr(std::vector<ledger::AttemptRecord>{});
  d.attemptUsd = jobs::computeSpend(d.attempts, nowMs).perAttemptUsd;
  d.events = l.events(jobId).valueOr(std::vector<ledger::EventRecord>{});
  d.spend = l.spendSamples(jobId).valueOr(std::vector<ledger::SpendSample>{});
  const int attempt = std::max(1, (*job)->currentAttempt);
  if (readLog || m_logJob != jobId || m_logAttempt != attempt) {
    m_logJob = jobId;
    m_logAttempt = attempt;
    m_logTail.clear();
    m_logError.clear();
    auto spec = jobs::parseJobSpec((*job)->specJson);
    auto provider = spec ? m_runtime->providers->providerFor(*spec) : Result<cloud::Provider*>(spec.error());
    if (!provider) {
      m_logError = provider.error().message;
    } else {
      const std::string key = jobs::Controller::jobPrefix(*spec, jobId) + "/logs/attempt-" + std::to_string(attempt) + ".log";
      cloud::CallOptions options;
      auto text = (*provider)->storage().get(key, options);
      if (text) {
        m_logTail = tailLines(text->size() > kLogTailBytes ? text->substr(text->size() - kLogTailBytes) : *text, kLogTailLines);
      } else {
        m_logError = text.error().code == ErrorCode::NotFound ? "No log yet for attempt " + std::to_string(attempt) + "."
                                                              : text.error().message;
      }
    }
  }
  d.logAttempt = m_logAttempt;
  d.logTail = m_logTail;
  d.logError = m_logError;
  return d;
}

}  // namespace spotwise::ui
