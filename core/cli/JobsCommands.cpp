// spotwise-cli launch / supervise / jobs / job show / stop / logs / preempt / reconcile.
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <functional>
#include <iomanip>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/cli/CliContext.h"
#include "core/common/Time.h"
#include "core/jobs/Controller.h"
#include "core/jobs/JobSpec.h"
#include "core/jobs/JobState.h"
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

/** Runs a command body: its exit code, or 1 with the error's message. */
void runCommand(CliContext& c, const std::function<Result<int>()>& body) {
  auto code = body();
  c.exitCode = code ? *code : fail(c, code.error());
}

/** The job named by an id or a unique prefix. */
Result<ledger::JobRecord> resolveJob(ledger::Ledger& l, const std::string& idOrPrefix) {
  auto id = l.resolveJobId(idOrPrefix);
  if (!id) return id.error();
  auto job = l.job(*id);
  if (!job) return job.error();
  if (!*job) return makeError(ErrorCode::NotFound, "no job with id " + *id);
  return **job;
}

/** A command on one job (`o.id`, an id or a unique prefix): the session opened, the job found, then `body`. */
void runOnJob(CliContext& c, const JobsOptions& o,
              const std::function<Result<int>(Session&, const ledger::JobRecord&)>& body) {
  runCommand(c, [&]() -> Result<int> {
    auto session = openSession(o);
    if (!session) return session.error();
    auto job = resolveJob(*(*session)->ledger, o.id);
    if (!job) return job.error();
    return body(**session, *job);
  });
}

/** Clouds whose configuration is broken: said once, so a Local job still runs. */
void warnUnavailable(CliContext& c, Session& s) {
  (void)s.providers->allProviders();
  for (const auto& [cloud, why] : s.providers->unavailable()) c.err << "warning: " << why << " (" << cloud << " skipped)\n";
}

void printReconcile(CliContext& c, const jobs::ReconcileReport& r) {
  for (const auto& id : r.reattached) c.err << "re-attached " << id << "\n";
  for (const auto& i : r.cleaned) c.err << "terminated leftover instance " << i << "\n";
  for (const auto& o : r.orphans) {
    c.err << "orphan: " << o.provider << " " << o.instance.id << " (" << o.reason << "), cost so far "
          << money(o.costSoFarUsd) << "\n";
  }
}

json priceChanges(const ledger::AttemptRecord& a) {
  json out = json::array();
  for (const auto& p : a.priceChanges) out.push_back({{"at", timeText(p.atMs)}, {"pricePerHour", p.pricePerHour}});
  return out;
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
                                  {"workLostSteps", a.workLostSteps},
                                  {"timeLapse", a.timeLapse},
                                  {"priceChanges", priceChanges(a)}});
  }
  out["events"] = json::array();
  for (const auto& e : l.events(j.id).valueOr(std::vector<ledger::EventRecord>{})) {
    out["events"].push_back({{"at", timeText(e.atMs)}, {"attempt", e.attempt}, {"kind", e.kind}, {"from", e.fromState},
                             {"to", e.toState}, {"message", e.message}});
  }
  return out;
}

void printJob(CliContext& c, const ledger::JobRecord& j, const json& d) {
  c.out << d["id"].get<std::string>() << "  " << d["name"].get<std::string>() << "\n"
        << "state:    " << d["state"].get<std::string>() << (j.stateMessage.empty() ? "" : " (" + j.stateMessage + ")")
        << "\n"
        << "offer:    " << d["provider"].get<std::string>() << " " << d.value("region", "") << " "
        << d.value("instanceType", "") << "\n"
        << "progress: " << (j.step >= 0 ? std::to_string(j.step) + "/" + std::to_string(j.totalSteps) : "-") << "\n"
        << "spend:    " << money(d["spendUsd"].get<double>()) << " of " << money(d["budgetUsd"].get<double>())
        << ", burning " << money(d["burnUsdPerHour"].get<double>()) << "/h"
        << (d["rehearsal"].get<bool>() ? " (rehearsal: simulated at the offer's price)" : "") << "\n"
        << "attempts:\n";
  for (const auto& a : d["attemptList"]) {
    c.out << "  #" << a["number"].get<int>() << " " << a["region"].get<std::string>() << " "
          << (a["spot"].get<bool>() ? "spot" : "on-demand") << " " << money(a["pricePerHour"].get<double>()) << "/h "
          << a["instanceId"].get<std::string>() << " " << a["start"].get<std::string>() << " -> "
          << a["end"].get<std::string>() << " " << money(a["spendUsd"].get<double>()) << " "
          << a["endCause"].get<std::string>();
    if (a["workLostSteps"].get<std::int64_t>() >= 0) c.out << " (lost " << a["workLostSteps"] << " steps)";
    if (a["timeLapse"].get<double>() > 1) c.out << " (time-lapse x" << a["timeLapse"].get<double>() << ")";
    c.out << "\n";
    for (const auto& p : a["priceChanges"]) {
      c.out << "      from " << p["at"].get<std::string>() << ": " << money(p["pricePerHour"].get<double>()) << "/h\n";
    }
  }
  c.out << "events:\n";
  for (const auto& e : d["events"]) {
    c.out << "  " << e["at"].get<std::string>() << " " << e["kind"].get<std::string>() << " "
          << e["from"].get<std::string>() << " -> " << e["to"].get<std::string>() << " "
          << e["message"].get<std::string>() << "\n";
  }
}

int supervise(CliContext& c, Session& s, const std::string& jobId) {
  warnUnavailable(c, s);
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
      runCommand(context, [&]() -> Result<int> {
        auto spec = jobs::loadJobSpec(o->file);
        if (!spec) return spec.error();
        const auto errors = jobs::validateJobSpec(*spec);
        if (!errors.empty()) {
          context.err << "error: " << o->file << " is not a valid job:\n";
          for (const auto& e : errors) context.err << "  " << e.field << ": " << e.message << "\n";
          return 1;
        }
        auto session = openSession(*o);
        if (!session) return session.error();
        // The provider first: "AWS: no credentials ..." before anything is recorded.
        if (auto provider = (*session)->providers->providerFor(*spec); !provider) return provider.error();
        auto id = (*session)->controller->submit(*spec);
        if (!id) return id.error();
        context.out << *id << std::endl;
        if (o->detach) return 0;
        return supervise(context, **session, *id);
      });
    });
  }
  // supervise
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("supervise", "Reconcile with the providers, then supervise every live job until all end");
    addCommonOptions(cmd, *o);
    addSupervisionOptions(cmd, *o);
    cmd->callback([o, &context] {
      runCommand(context, [&]() -> Result<int> {
        auto session = openSession(*o);
        if (!session) return session.error();
        return supervise(context, **session, "");
      });
    });
  }
  // reconcile
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("reconcile", "Compare the ledger with the providers: re-attach, list orphans");
    cmd->add_flag("--terminate-orphans", o->terminateOrphans, "Terminate the orphans found");
    addCommonOptions(cmd, *o);
    cmd->callback([o, &context] {
      runCommand(context, [&]() -> Result<int> {
        auto session = openSession(*o);
        if (!session) return session.error();
        warnUnavailable(context, **session);
        auto r = (*session)->controller->reconcile();
        if (!r) return r.error();
        printReconcile(context, *r);
        context.out << r->orphans.size() << " orphan(s)" << std::endl;
        if (o->terminateOrphans && !r->orphans.empty()) {
          if (auto t = (*session)->controller->terminateOrphans(r->orphans); !t) return t.error();
        }
        return 0;
      });
    });
  }
  // jobs
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("jobs", "List jobs, newest first");
    cmd->add_flag("--json", o->json, "Print JSON");
    addCommonOptions(cmd, *o);
    cmd->callback([o, &context] {
      runCommand(context, [&]() -> Result<int> {
        auto l = ledger::Ledger::open(o->ledgerPath());
        if (!l) return l.error();
        auto all = (*l)->jobs();
        if (!all) return all.error();
        const std::int64_t now = jobs::SystemClock().nowMs();
        json list = json::array();
        for (const auto& j : *all) list.push_back(jobJson(**l, j, now, false));
        if (o->json) {
          context.out << json{{"jobs", list}}.dump(2) << "\n";
          return 0;
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
        return 0;
      });
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
      runCommand(context, [&]() -> Result<int> {
        auto l = ledger::Ledger::open(o->ledgerPath());
        if (!l) return l.error();
        auto j = resolveJob(**l, o->id);
        if (!j) return j.error();
        const json d = jobJson(**l, *j, jobs::SystemClock().nowMs(), true);
        if (o->json) {
          context.out << d.dump(2) << "\n";
          return 0;
        }
        printJob(context, *j, d);
        return 0;
      });
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
      runOnJob(context, *o, [&](Session& s, const ledger::JobRecord& job) -> Result<int> {
        if (auto r = s.controller->requestStop(job.id); !r) return r.error();
        if (o->noWait) return 0;
        auto r = s.controller->runUntilDone(job.id, [&](const jobs::TickReport& tick) {
          for (const auto& t : tick.transitions) context.out << t << std::endl;
          return false;
        });
        if (!r) return r.error();
        const auto ended = s.ledger->job(job.id).value().value();
        context.out << ended.id << " " << ended.state << std::endl;
        return jobs::isTerminal(jobs::parseJobState(ended.state).value_or(jobs::JobState::Running)) ? 0 : 1;
      });
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
      runOnJob(context, *o, [&](Session& s, const ledger::JobRecord& job) -> Result<int> {
        auto spec = jobs::parseJobSpec(job.specJson);
        if (!spec) return spec.error();
        auto provider = s.providers->providerFor(*spec);
        if (!provider) return provider.error();
        const int attempt = o->attempt > 0 ? o->attempt : std::max(1, job.currentAttempt);
        const std::string key =
            jobs::Controller::jobPrefix(*spec, job.id) + "/logs/attempt-" + std::to_string(attempt) + ".log";
        auto text = (*provider)->storage().get(key, cloud::CallOptions{});
        if (!text && text.error().code == ErrorCode::NotFound) {
          return makeError(ErrorCode::NotFound, "no log yet for attempt " + std::to_string(attempt) + " of " + job.id);
        }
        if (!text) return text.error();
        context.out << *text;
        return 0;
      });
    });
  }
  // preempt (Local rehearsal)
  {
    auto o = std::make_shared<JobsOptions>();
    auto* cmd = app.add_subcommand("preempt", "Local rehearsal: send the job's instance a spot interruption notice now");
    cmd->add_option("id", o->id, "Job id (or a unique prefix)")->required();
    addCommonOptions(cmd, *o);
    cmd->callback([o, &context] {
      runOnJob(context, *o, [&](Session& s, const ledger::JobRecord& job) -> Result<int> {
        auto attempt = s.ledger->attempt(job.id, job.currentAttempt);
        if (job.provider != "local" || !attempt || !*attempt || (*attempt)->instanceId.empty() || (*attempt)->endMs != 0) {
          return makeError(ErrorCode::FailedPrecondition, "Preempt: " + job.id + " has no running Local instance");
        }
        auto local = s.providers->local();
        if (!local) return local.error();
        if (auto r = (*local)->localCompute().preemptNow((*attempt)->instanceId); !r) return r.error();
        context.out << "notice sent to " << (*attempt)->instanceId << std::endl;
        return 0;
      });
    });
  }
}

}  // namespace spotwise::cli
