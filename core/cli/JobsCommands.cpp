// spotwise-cli launch / supervise / jobs / job show / stop / logs / preempt / reconcile.
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <iomanip>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/cli/CliContext.h"
#include "core/common/Time.h"
#include "core/jobs/Controller.h"
#include "core/jobs/JobSpec.h"
#include "core/jobs/Runtime.h"
#include "core/jobs/Spend.h"
#include "core/ledger/Ledger.h"

namespace spotwise::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/** Options shared by the job commands (each command keeps its own copy). */
struct JobsOptions {
  std::string ledger;
  std::string localRoot;
  double pollSeconds = 30;
  int heartbeatSeconds = 15;
  double hazardPerHour = 0;
  double timeLapse = 1;
  double noticeSeconds = 120;
  bool json = false;
  bool detach = false;
  bool noWait = false;
  bool terminateOrphans = false;
  int attempt = 0;
  std::string file;
  std::string id;

  fs::path ledgerPath() const { return ledger.empty() ? jobs::defaultLedgerPath() : fs::path(ledger); }
};

void addCommonOptions(CLI::App* cmd, JobsOptions& o) {
  cmd->add_option("--ledger", o.ledger, "Job ledger file (default $SPOTWISE_LEDGER or ~/.local/share/spotwise/ledger.sqlite)");
  cmd->add_option("--local-root", o.localRoot, "Local provider folder (default $SPOTWISE_LOCAL_ROOT or ~/.local/share/spotwise/local)");
}

void addSupervisionOptions(CLI::App* cmd, JobsOptions& o) {
  cmd->add_option("--poll", o.pollSeconds, "Seconds between polls")->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--heartbeat", o.heartbeatSeconds, "Agent heartbeat seconds")->check(CLI::Range(1, 600));
  cmd->add_option("--rehearse-hazard", o.hazardPerHour, "Local: preemption notices per simulated hour")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--time-lapse", o.timeLapse, "Local: simulated seconds per real second")->check(CLI::Range(1.0, 1e6));
  cmd->add_option("--notice-seconds", o.noticeSeconds, "Local: seconds between a notice and the reclaim")
      ->check(CLI::Range(1.0, 600.0));
}

using Session = jobs::Runtime;

Result<std::unique_ptr<Session>> openSession(const JobsOptions& o) {
  jobs::RuntimeOptions options;
  options.ledgerPath = o.ledgerPath();
  options.providers.localRoot = o.localRoot;
  options.providers.rehearsal.hazardPerHour = o.hazardPerHour;
  options.providers.rehearsal.timeLapse = o.timeLapse;
  options.providers.rehearsal.noticeSeconds = o.noticeSeconds;
  options.agent.heartbeatSeconds = o.heartbeatSeconds;
  options.agent.pollSeconds = std::clamp(o.heartbeatSeconds, 1, 5);
  options.controller.pollIntervalMs = std::max<std::int64_t>(10, std::llround(o.pollSeconds * 1000));
  return jobs::openRuntime(std::move(options));
}

std::string money(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.4f", usd);
  return buf;
}

std::string timeText(std::int64_t ms) { return ms > 0 ? formatIso8601Utc(ms / 1000) : std::string("-"); }

int fail(CliContext& c, const Error& e) {
  c.err << "error: " << e.message << "\n";
  return 1;
}

void printReconcile(CliContext& c, const jobs::ReconcileReport& r) {
  for (const auto& id : r.reattached) c.err << "re-attached " << id << "\n";
  for (const auto& i : r.cleaned) c.err << "terminated leftover instance " << i << "\n";
  for (const auto& o : r.orphans) {
    c.err << "orphan: " << o.provider << " " << o.instance.id << " (" << o.reason << "), cost so far "
          << money(o.costSoFarUsd) << "\n";
  }
}

json jobJson(ledger::Ledger& l, const ledger::JobRecord& j, std::int64_t nowMs, bool detail) {
  auto attempts = l.attempts(j.id).valueOr(std::vector<ledger::AttemptRecord>{});
  const auto spend = jobs::computeSpend(attempts, nowMs);
  auto spec = jobs::parseJobSpec(j.specJson);
  json out{{"id", j.id},
           {"name", j.name},
           {"provider", j.provider},
           {"state", j.state},
           {"message", j.stateMessage},
           {"step", j.step},
           {"total", j.totalSteps},
           {"attempts", attempts.size()},
           {"preemptions", std::ranges::count(attempts, std::string("preempted"), &ledger::AttemptRecord::endCause)},
           {"spendUsd", spend.totalUsd},
           {"burnUsdPerHour", spend.burnUsdPerHour},
           {"budgetUsd", spec ? spec->budgetUsd : 0.0},
           {"rehearsal", j.provider == "local"},
           {"created", timeText(j.createdMs)},
           {"ended", timeText(j.endedMs)}};
  if (j.loss) out["loss"] = *j.loss;
  if (spec) out["region"] = spec->offer.region, out["instanceType"] = spec->offer.instanceType;
  if (!detail) return out;
  out["attemptList"] = json::array();
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const auto& a = attempts[i];
    out["attemptList"].push_back({{"number", a.number},
                                  {"region", a.region},
                                  {"zone", a.zone},
                                  {"instanceType", a.instanceType},
                                  {"spot", a.spot},
                                  {"pricePerHour", a.pricePerHour},
                                  {"instanceId", a.instanceId},
                                  {"start", timeText(a.startMs)},
                                  {"end", timeText(a.endMs)},
                                  {"seconds", spend.perAttemptSeconds[i]},
                                  {"spendUsd", spend.perAttemptUsd[i]},
                                  {"endCause", a.endCause},
                                  {"lastStep", a.lastStep},
                                  {"resumedFromStep", a.resumedFromStep},
                                  {"workLostSteps", a.workLostSteps}});
  }
  out["events"] = json::array();
  for (const auto& e : l.events(j.id).valueOr(std::vector<ledger::EventRecord>{})) {
    out["events"].push_back({{"at", timeText(e.atMs)}, {"attempt", e.attempt}, {"kind", e.kind}, {"from", e.fromState},
                             {"to", e.toState}, {"message", e.message}});
  }
  return out;
}

int supervise(CliContext& c, Session& s, const std::string& jobId) {
  auto reconciled = s.controller->reconcile();
  if (!reconciled) return fail(c, reconciled.error());
  printReconcile(c, *reconciled);
  auto r = s.controller->runUntilDone(jobId, [&](const jobs::TickReport& tick) {
    for (const auto& t : tick.transitions) c.out << t << std::endl;
    for (const auto& e : tick.errors) c.err << "warning: " << e << std::endl;
    return false;
  });
  if (!r) return fail(c, r.error());
  if (jobId.empty()) return 0;
  auto job = s.ledger->job(jobId);
  if (!job || !*job) return 1;
  c.out << jobId << " " << (*job)->state << (job.value()->stateMessage.empty() ? "" : ": " + job.value()->stateMessage)
        << std::endl;
  return (*job)->state == "Succeeded" ? 0 : 1;
}

}  // namespace

void addJobsCommands(CLI::App& app, CliContext& context) {
  // launch
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("launch", "Launch a job from a job.json and supervise it until it ends");
    cmd->add_option("file", o->file, "The job spec (JSON)")->required();
    cmd->add_flag("--detach", o->detach, "Only record the job; `spotwise-cli supervise` runs it");
    addCommonOptions(cmd, *o);
    addSupervisionOptions(cmd, *o);
    cmd->callback([o, &context] {
      auto spec = jobs::loadJobSpec(o->file);
      if (!spec) {
        context.exitCode = fail(context, spec.error());
        return;
      }
      const auto errors = jobs::validateJobSpec(*spec);
      if (!errors.empty()) {
        context.err << "error: " << o->file << " is not a valid job:\n";
        for (const auto& e : errors) context.err << "  " << e.field << ": " << e.message << "\n";
        context.exitCode = 1;
        return;
      }
      auto session = openSession(*o);
      if (!session) {
        context.exitCode = fail(context, session.error());
        return;
      }
      auto id = (*session)->controller->submit(*spec);
      if (!id) {
        context.exitCode = fail(context, id.error());
        return;
      }
      context.out << *id << std::endl;
      if (o->detach) return;
      context.exitCode = supervise(context, **session, *id);
    });
  }
  // supervise
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("supervise", "Reconcile with the providers, then supervise every live job until all end");
    addCommonOptions(cmd, *o);
    addSupervisionOptions(cmd, *o);
    cmd->callback([o, &context] {
      auto session = openSession(*o);
      if (!session) {
        context.exitCode = fail(context, session.error());
        return;
      }
      context.exitCode = supervise(context, **session, "");
    });
  }
  // reconcile
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("reconcile", "Compare the ledger with the providers: re-attach, list orphans");
    cmd->add_flag("--terminate-orphans", o->terminateOrphans, "Terminate the orphans found");
    addCommonOptions(cmd, *o);
    cmd->callback([o, &context] {
      auto session = openSession(*o);
      if (!session) {
        context.exitCode = fail(context, session.error());
        return;
      }
      auto r = (*session)->controller->reconcile();
      if (!r) {
        context.exitCode = fail(context, r.error());
        return;
      }
      printReconcile(context, *r);
      context.out << r->orphans.size() << " orphan(s)" << std::endl;
      if (o->terminateOrphans && !r->orphans.empty()) {
        if (auto t = (*session)->controller->terminateOrphans(r->orphans); !t) context.exitCode = fail(context, t.error());
      }
    });
  }
  // jobs
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("jobs", "List jobs, newest first");
    cmd->add_flag("--json", o->json, "Print JSON");
    addCommonOptions(cmd, *o);
    cmd->callback([o, &context] {
      auto l = ledger::Ledger::open(o->ledgerPath());
      if (!l) {
        context.exitCode = fail(context, l.error());
        return;
      }
      auto all = (*l)->jobs();
      if (!all) {
        context.exitCode = fail(context, all.error());
        return;
      }
      const std::int64_t now = jobs::SystemClock().nowMs();
      json list = json::array();
      for (const auto& j : *all) list.push_back(jobJson(**l, j, now, false));
      if (o->json) {
        context.out << json{{"jobs", list}}.dump(2) << "\n";
        return;
      }
      context.out << std::left << std::setw(17) << "id" << std::setw(16) << "name" << std::setw(15) << "state"
                  << std::setw(12) << "progress" << std::setw(9) << "attempts" << "spend/budget\n";
      for (const auto& j : list) {
        const std::string progress = j["step"].get<std::int64_t>() >= 0
                                         ? std::to_string(j["step"].get<std::int64_t>()) + "/" +
                                               std::to_string(j["total"].get<std::int64_t>())
                                         : "-";
        context.out << std::left << std::setw(17) << j["id"].get<std::string>() << std::setw(16)
                    << j["name"].get<std::string>().substr(0, 15) << std::setw(15) << j["state"].get<std::string>()
                    << std::setw(12) << progress << std::setw(9) << j["attempts"].get<std::size_t>()
                    << money(j["spendUsd"].get<double>()) << "/" << money(j["budgetUsd"].get<double>())
                    << (j["rehearsal"].get<bool>() ? " (rehearsal)" : "") << "\n";
      }
    });
  }
  // job show
  {
    auto o = std::make_shared<JobsOptions>();
    auto* job = app.add_subcommand("job", "One job");
    job->require_subcommand(1);
    auto* show = job->add_subcommand("show", "A job's state, attempts, spend and history");
    show->add_option("id", o->id, "Job id (or a unique prefix)")->required();
    show->add_flag("--json", o->json, "Print JSON");
    addCommonOptions(show, *o);
    show->callback([o, &context] {
      auto l = ledger::Ledger::open(o->ledgerPath());
      if (!l) {
        context.exitCode = fail(context, l.error());
        return;
      }
      auto id = (*l)->resolveJobId(o->id);
      if (!id) {
        context.exitCode = fail(context, id.error());
        return;
      }
      const auto j = (*l)->job(*id).value().value();
      const json d = jobJson(**l, j, jobs::SystemClock().nowMs(), true);
      if (o->json) {
        context.out << d.dump(2) << "\n";
        return;
      }
      context.out << d["id"].get<std::string>() << "  " << d["name"].get<std::string>() << "\n"
                  << "state:    " << d["state"].get<std::string>()
                  << (j.stateMessage.empty() ? "" : " (" + j.stateMessage + ")") << "\n"
                  << "offer:    " << d["provider"].get<std::string>() << " " << d.value("region", "") << " "
                  << d.value("instanceType", "") << "\n"
                  << "progress: " << (j.step >= 0 ? std::to_string(j.step) + "/" + std::to_string(j.totalSteps) : "-")
                  << "\n"
                  << "spend:    " << money(d["spendUsd"].get<double>()) << " of " << money(d["budgetUsd"].get<double>())
                  << ", burning " << money(d["burnUsdPerHour"].get<double>()) << "/h"
                  << (d["rehearsal"].get<bool>() ? " (rehearsal: simulated at the offer's price)" : "") << "\n"
                  << "attempts:\n";
      for (const auto& a : d["attemptList"]) {
        context.out << "  #" << a["number"].get<int>() << " " << a["region"].get<std::string>() << " "
                    << (a["spot"].get<bool>() ? "spot" : "on-demand") << " " << money(a["pricePerHour"].get<double>())
                    << "/h " << a["instanceId"].get<std::string>() << " " << a["start"].get<std::string>() << " -> "
                    << a["end"].get<std::string>() << " " << money(a["spendUsd"].get<double>()) << " "
                    << a["endCause"].get<std::string>();
        if (a["workLostSteps"].get<std::int64_t>() >= 0) context.out << " (lost " << a["workLostSteps"] << " steps)";
        context.out << "\n";
      }
      context.out << "events:\n";
      for (const auto& e : d["events"]) {
        context.out << "  " << e["at"].get<std::string>() << " " << e["kind"].get<std::string>() << " "
                    << e["from"].get<std::string>() << " -> " << e["to"].get<std::string>() << " "
                    << e["message"].get<std::string>() << "\n";
      }
    });
  }
  // stop
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("stop", "Stop a job: terminate its instance and wait until the provider confirms");
    cmd->add_option("id", o->id, "Job id (or a unique prefix)")->required();
    cmd->add_flag("--no-wait", o->noWait, "Only record the request; the supervising process terminates");
    addCommonOptions(cmd, *o);
    addSupervisionOptions(cmd, *o);
    o->pollSeconds = 2;
    cmd->callback([o, &context] {
      auto session = openSession(*o);
      if (!session) {
        context.exitCode = fail(context, session.error());
        return;
      }
      auto& s = **session;
      auto id = s.ledger->resolveJobId(o->id);
      if (!id) {
        context.exitCode = fail(context, id.error());
        return;
      }
      if (auto r = s.controller->requestStop(*id); !r) {
        context.exitCode = fail(context, r.error());
        return;
      }
      if (o->noWait) return;
      auto r = s.controller->runUntilDone(*id, [&](const jobs::TickReport& tick) {
        for (const auto& t : tick.transitions) context.out << t << std::endl;
        return false;
      });
      if (!r) {
        context.exitCode = fail(context, r.error());
        return;
      }
      const auto job = s.ledger->job(*id).value().value();
      context.out << *id << " " << job.state << std::endl;
      context.exitCode = job.state == "Stopped" || job.state == "Succeeded" || job.state == "Failed" ||
                                 job.state == "BudgetExceeded"
                             ? 0
                             : 1;
    });
  }
  // logs
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("logs", "Print a job's log (the latest attempt unless --attempt)");
    cmd->add_option("id", o->id, "Job id (or a unique prefix)")->required();
    cmd->add_option("--attempt", o->attempt, "Attempt number")->check(CLI::PositiveNumber);
    addCommonOptions(cmd, *o);
    cmd->callback([o, &context] {
      auto session = openSession(*o);
      if (!session) {
        context.exitCode = fail(context, session.error());
        return;
      }
      auto& s = **session;
      auto id = s.ledger->resolveJobId(o->id);
      if (!id) {
        context.exitCode = fail(context, id.error());
        return;
      }
      const auto job = s.ledger->job(*id).value().value();
      auto spec = jobs::parseJobSpec(job.specJson);
      if (!spec) {
        context.exitCode = fail(context, spec.error());
        return;
      }
      auto provider = s.providers->providerFor(*spec);
      if (!provider) {
        context.exitCode = fail(context, provider.error());
        return;
      }
      const int attempt = o->attempt > 0 ? o->attempt : std::max(1, job.currentAttempt);
      const std::string key = jobs::Controller::jobPrefix(*spec, *id) + "/logs/attempt-" + std::to_string(attempt) + ".log";
      auto text = (*provider)->storage().get(key, cloud::CallOptions{});
      if (!text) {
        context.exitCode = fail(context, text.error().code == ErrorCode::NotFound
                                             ? makeError(ErrorCode::NotFound, "no log yet for attempt " +
                                                                                  std::to_string(attempt) + " of " + *id)
                                             : text.error());
        return;
      }
      context.out << *text;
    });
  }
  // preempt (Local rehearsal)
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("preempt", "Local rehearsal: send the job's instance a spot interruption notice now");
    cmd->add_option("id", o->id, "Job id (or a unique prefix)")->required();
    addCommonOptions(cmd, *o);
    cmd->callback([o, &context] {
      auto session = openSession(*o);
      if (!session) {
        context.exitCode = fail(context, session.error());
        return;
      }
      auto& s = **session;
      auto id = s.ledger->resolveJobId(o->id);
      if (!id) {
        context.exitCode = fail(context, id.error());
        return;
      }
      const auto job = s.ledger->job(*id).value().value();
      auto attempt = s.ledger->attempt(*id, job.currentAttempt);
      if (job.provider != "local" || !attempt || !*attempt || (*attempt)->instanceId.empty() || (*attempt)->endMs != 0) {
        context.exitCode = fail(context, makeError(ErrorCode::FailedPrecondition,
                                                   "Preempt: " + *id + " has no running Local instance"));
        return;
      }
      auto local = s.providers->local();
      if (!local) {
        context.exitCode = fail(context, local.error());
        return;
      }
      if (auto r = (*local)->localCompute().preemptNow((*attempt)->instanceId); !r) {
        context.exitCode = fail(context, r.error());
        return;
      }
      context.out << "notice sent to " << (*attempt)->instanceId << std::endl;
    });
  }
}

}  // namespace spotwise::cli
