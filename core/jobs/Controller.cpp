#include "core/jobs/Controller.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <tuple>

#include "core/jobs/Spend.h"
#include "core/jobs/StatusReport.h"

namespace spotwise::jobs {

namespace {

std::optional<JobEvent> parseEvent(std::string_view name) {
  for (auto e : kAllJobEvents) {
    if (jobEventName(e) == name) return e;
  }
  return std::nullopt;
}

// What the attempt's end is called in the ledger for each ending event.
std::string_view endCauseFor(JobEvent event) {
  switch (event) {
    case JobEvent::ProgramSucceeded: return "succeeded";
    case JobEvent::ProgramFailed: return "program-failed";
    case JobEvent::PreemptionDetected: return "preempted";
    case JobEvent::BootTimedOut: return "boot-timeout";
    case JobEvent::AgentSilent: return "agent-silent";
    case JobEvent::InstanceLost: return "instance-lost";
    case JobEvent::BudgetReached: return "budget";
    case JobEvent::MaxRuntimeReached: return "max-runtime";
    case JobEvent::StopConfirmed: return "stopped";
    default: return "ended";
  }
}

std::string minutes(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f min", static_cast<double>(ms) / 60000.0);
  return buf;
}

std::string dollars(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.2f", usd);
  return buf;
}

const ledger::AttemptRecord* currentAttempt(const std::vector<ledger::AttemptRecord>& attempts, int number) {
  for (const auto& a : attempts) {
    if (a.number == number) return &a;
  }
  return nullptr;
}

/** When billing for `inst` stopped: the provider's end time where it gives one, else when we saw it gone. */
std::int64_t goneAt(const cloud::Instance& inst, const ledger::AttemptRecord& attempt, std::int64_t nowMs) {
  if (inst.endedAtMs <= 0) return nowMs;
  return std::clamp(inst.endedAtMs, std::max<std::int64_t>(attempt.startMs, 1), nowMs);
}

}  // namespace

std::string newJobId(std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "job-";
  std::uint64_t bits = rng();
  for (int i = 0; i < 12; ++i) {
    id += kHex[bits & 0xf];
    bits >>= 4;
  }
  return id;
}

struct Controller::Live {
  ledger::JobRecord job;
  JobSpec spec;
  cloud::Provider* provider = nullptr;
  ledger::AttemptRecord attempt;
  std::optional<cloud::Instance> instance;   ///< nullopt: describe failed this tick
  std::optional<StatusReport> status;        ///< of the current attempt, when readable
};

Controller::Controller(ledger::Ledger& ledger, ProviderDirectory& providers, JobBootstrapper& bootstrapper,
                       Clock& clock, ControllerConfig config, AlternativeOffers alternatives)
    : m_ledger(ledger),
      m_providers(providers),
      m_bootstrapper(bootstrapper),
      m_clock(clock),
      m_config(config),
      m_alternatives(std::move(alternatives)),
      m_rng(config.seed != 0 ? config.seed : (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                                 static_cast<std::uint64_t>(clock.nowMs())) {}

std::string Controller::jobPrefix(const JobSpec& spec, std::string_view jobId) {
  auto loc = parseStorageLocation(spec.storage);
  if (!loc) return std::string(jobId);
  std::string prefix = loc->prefix;
  // az://account/container/prefix: the provider's store is the container, keys start after it.
  if (loc->scheme == "az") prefix = prefix.find('/') == std::string::npos ? "" : prefix.substr(prefix.find('/') + 1);
  if (prefix.empty()) return std::string(jobId);
  return prefix + "/" + std::string(jobId);
}

cloud::CallOptions Controller::callOptions() const {
  cloud::CallOptions o;
  o.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_config.callTimeoutMs);
  return o;
}

Result<void> Controller::withJob(const std::string& jobId,
                                 const std::function<Result<void>(ledger::JobRecord&)>& change) {
  return m_ledger.transaction([&]() -> Result<void> {
    auto job = m_ledger.job(jobId);
    if (!job) return job.error();
    if (!*job) return makeError(ErrorCode::NotFound, "Controller: no job " + jobId);
    ledger::JobRecord record = **job;
    if (auto r = change(record); !r) return r;
    record.updatedMs = m_clock.nowMs();
    return m_ledger.updateJob(record);
  });
}

Result<bool> Controller::apply(ledger::JobRecord& job, JobEvent event, std::string_view message, TickReport* report) {
  const auto from = parseJobState(job.state);
  if (!from) return makeError(ErrorCode::DataLoss, "Controller: job " + job.id + " has unknown state " + job.state);
  const auto to = nextState(*from, event);
  if (!to) {
    if (auto r = note(job, "ignored " + std::string(jobEventName(event)) + " in state " + job.state); !r) return r.error();
    return false;
  }
  job.state = std::string(jobStateName(*to));
  job.stateMessage = std::string(message);
  if (isTerminal(*to)) {
    job.endedMs = m_clock.nowMs();
    job.pendingEnd.clear();
    job.pendingEndMessage.clear();
  }
  ledger::EventRecord e;
  e.jobId = job.id;
  e.attempt = job.currentAttempt;
  e.atMs = m_clock.nowMs();
  e.kind = std::string(jobEventName(event));
  e.fromState = std::string(jobStateName(*from));
  e.toState = job.state;
  e.message = std::string(message);
  if (auto r = m_ledger.addEvent(e); !r) return r.error();
  if (report && *from != *to) {
    report->transitions.push_back(job.id + ": " + e.fromState + " -> " + e.toState + " (" + e.kind + ")");
  }
  return true;
}

Result<void> Controller::note(const ledger::JobRecord& job, std::string_view message) {
  ledger::EventRecord e;
  e.jobId = job.id;
  e.attempt = job.currentAttempt;
  e.atMs = m_clock.nowMs();
  e.kind = "note";
  e.fromState = job.state;
  e.toState = job.state;
  e.message = std::string(message);
  return m_ledger.addEvent(e);
}

Result<std::string> Controller::submit(const JobSpec& spec) {
  if (auto r = checkJobSpec(spec); !r) return r.error();
  ledger::JobRecord job;
  job.id = newJobId(m_rng);
  job.name = spec.name;
  job.provider = spec.offer.provider;
  job.specJson = serializeJobSpec(spec);
  job.state = std::string(jobStateName(JobState::Draft));
  job.createdMs = job.updatedMs = m_clock.nowMs();
  auto r = m_ledger.transaction([&]() -> Result<void> {
    if (auto i = m_ledger.insertJob(job); !i) return i;
    return note(job, "submitted: " + spec.offer.provider + " " + spec.offer.region + " " + spec.offer.instanceType +
                         (spec.offer.spot ? " spot" : " on-demand") + ", budget " + dollars(spec.budgetUsd));
  });
  if (!r) return r.error();
  return job.id;
}

Result<void> Controller::requestStop(std::string_view jobIdView) {
  const std::string jobId(jobIdView);
  return withJob(jobId, [&](ledger::JobRecord& job) -> Result<void> {
    const auto state = parseJobState(job.state);
    if (!state) return makeError(ErrorCode::DataLoss, "Stop: job " + jobId + " has unknown state " + job.state);
    if (isTerminal(*state)) {
      return makeError(ErrorCode::FailedPrecondition, "Stop: job " + jobId + " has already ended (" + job.state + ")");
    }
    if (*state == JobState::Draft || *state == JobState::Packaging) {
      auto applied = apply(job, JobEvent::StopConfirmed, "stopped by the user before launch", nullptr);
      if (!applied) return applied.error();
      return {};
    }
    // A stop outranks every other pending end except a success already seen.
    if (job.pendingEnd != jobEventName(JobEvent::ProgramSucceeded)) {
      job.pendingEnd = std::string(jobEventName(JobEvent::StopConfirmed));
      job.pendingEndMessage = "stopped by the user";
    }
    return note(job, "stop requested");
  });
}

Result<TickReport> Controller::tick() {
  TickReport report;
  m_terminatedThisTick.clear();
  auto active = m_ledger.jobs(true);
  if (!active) return active.error();
  report.activeJobs = static_cast<int>(active->size());

  std::vector<Live> supervised;
  for (const auto& job : *active) {
    auto spec = parseJobSpec(job.specJson);
    if (!spec) {
      (void)withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
        auto a = apply(j, JobEvent::LaunchFailed, "the stored job spec is unreadable: " + spec.error().message, &report);
        return a ? Result<void>() : Result<void>(a.error());
      });
      continue;
    }
    const auto state = parseJobState(job.state);
    if (!state) continue;
    if (*state == JobState::Booting || *state == JobState::Running) {
      auto provider = m_providers.providerFor(*spec);
      if (!provider) {
        report.errors.push_back(job.id + ": " + provider.error().message);
        continue;
      }
      auto attempt = m_ledger.attempt(job.id, job.currentAttempt);
      if (!attempt) return attempt.error();
      if (!*attempt) {
        report.errors.push_back(job.id + ": attempt " + std::to_string(job.currentAttempt) + " missing from the ledger");
        continue;
      }
      supervised.push_back(Live{job, std::move(*spec), *provider, **attempt, std::nullopt, std::nullopt});
    } else {
      if (auto r = advanceWithoutInstance(job, *spec, report); !r) report.errors.push_back(job.id + ": " + r.error().message);
    }
  }

  // Ended attempts whose instance is not yet confirmed gone: still billing, watched in the same batch.
  auto unconfirmed = m_ledger.unconfirmedAttempts();
  if (!unconfirmed) return unconfirmed.error();
  std::map<cloud::Provider*, std::vector<ledger::AttemptRecord>> endingByProvider;
  for (const auto& a : *unconfirmed) {
    auto job = m_ledger.job(a.jobId);
    if (!job || !*job) continue;
    auto spec = parseJobSpec((*job)->specJson);
    if (!spec) continue;
    auto provider = m_providers.providerFor(*spec);
    if (provider) endingByProvider[*provider].push_back(a);
  }

  // One describe per provider (each provider batches per region).
  std::map<cloud::Provider*, std::vector<std::size_t>> byProvider;
  for (std::size_t i = 0; i < supervised.size(); ++i) byProvider[supervised[i].provider].push_back(i);
  for (const auto& [provider, list] : endingByProvider) byProvider[provider];
  for (auto& [provider, indexes] : byProvider) {
    std::vector<cloud::InstanceRef> refs;
    for (auto i : indexes) refs.push_back({supervised[i].attempt.region, supervised[i].attempt.instanceId});
    for (const auto& a : endingByProvider[provider]) refs.push_back({a.region, a.instanceId});
    auto described = provider->compute().describe(refs, callOptions());
    if (!described) {
      report.errors.push_back(std::string(provider->id()) + ": " + described.error().message);
      continue;
    }
    for (auto a : endingByProvider[provider]) {
      const auto it = std::ranges::find(*described, a.instanceId, &cloud::Instance::id);
      if (it == described->end() || it->state == cloud::InstanceState::Terminated) {
        a.goneMs = it == described->end() ? m_clock.nowMs() : goneAt(*it, a, m_clock.nowMs());
        if (auto r = m_ledger.upsertAttempt(a); !r) return r.error();
      } else if (it->state != cloud::InstanceState::Stopping) {
        // Still running after its attempt ended (a lost terminate request): ask again.
        auto job = m_ledger.job(a.jobId);
        if (job && *job) (void)requestTermination(**job, a, *provider, report);
      }
    }
    for (auto i : indexes) {
      const auto it = std::ranges::find(*described, supervised[i].attempt.instanceId, &cloud::Instance::id);
      if (it != described->end()) {
        supervised[i].instance = *it;
      } else {
        cloud::Instance gone;  // "Unknown ids come back Terminated": treat a missing one the same way.
        gone.id = supervised[i].attempt.instanceId;
        gone.state = cloud::InstanceState::Terminated;
        gone.endReason = cloud::EndReason::Unknown;
        supervised[i].instance = gone;
      }
    }
  }
  for (auto& live : supervised) {
    if (!live.instance) continue;
    auto text = live.provider->storage().get(jobPrefix(live.spec, live.job.id) + "/status.json", callOptions());
    if (text) {
      auto status = parseStatusReport(*text);
      if (status && status->attempt == live.attempt.number) live.status = std::move(*status);
      else if (!status) (void)note(live.job, status.error().message);
    } else if (text.error().code != ErrorCode::NotFound) {
      report.errors.push_back(live.job.id + ": status.json: " + text.error().message);
    }
    if (auto r = superviseInstance(live, report); !r) report.errors.push_back(live.job.id + ": " + r.error().message);
  }
  // Instances asked to terminate during this poll (after a preemption, usually while the
  // replacement was launched): look once more, so billing stops being counted without waiting a poll.
  if (!m_terminatedThisTick.empty()) {
    auto again = m_ledger.unconfirmedAttempts();
    if (!again) return again.error();
    for (auto a : *again) {
      const auto it = std::ranges::find_if(m_terminatedThisTick, [&](const auto& t) { return t.second == a.instanceId; });
      if (it == m_terminatedThisTick.end()) continue;
      auto described = it->first->compute().describe({{a.region, a.instanceId}}, callOptions());
      if (described && (described->empty() || described->front().state == cloud::InstanceState::Terminated)) {
        a.goneMs = described->empty() ? m_clock.nowMs() : goneAt(described->front(), a, m_clock.nowMs());
        if (auto r = m_ledger.upsertAttempt(a); !r) return r.error();
      }
    }
  }
  m_terminatedThisTick.clear();
  return report;
}

Result<void> Controller::advanceWithoutInstance(ledger::JobRecord job, const JobSpec& spec, TickReport& report) {
  auto state = *parseJobState(job.state);
  if (state == JobState::Draft) {
    if (auto r = withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
          auto a = apply(j, JobEvent::Submit, "packaging the code", &report);
          if (!a) return a.error();
          job = j;
          return {};
        });
        !r) {
      return r;
    }
    state = *parseJobState(job.state);
  }
  auto provider = m_providers.providerFor(spec);
  if (state == JobState::Packaging) {
    if (!provider) {
      return withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
        auto a = apply(j, JobEvent::PackageFailed, provider.error().message, &report);
        return a ? Result<void>() : Result<void>(a.error());
      });
    }
    auto packaged = m_bootstrapper.package(spec, job.id, jobPrefix(spec, job.id), (*provider)->storage(), callOptions());
    if (!packaged && isTransient(packaged.error())) return packaged.error();  // try again next tick
    if (auto r = withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
          if (j.state != jobStateName(JobState::Packaging)) return {};  // stopped meanwhile
          auto a = packaged ? apply(j, JobEvent::PackageSucceeded, "code uploaded", &report)
                            : apply(j, JobEvent::PackageFailed, "packaging failed: " + packaged.error().message, &report);
          if (!a) return a.error();
          job = j;
          return {};
        });
        !r) {
      return r;
    }
    state = *parseJobState(job.state);
  }
  if (state == JobState::Preempted) {
    if (!provider) return provider.error();
    if (auto r = decideAfterPreemption(job.id, spec, **provider, report); !r) return r;
    auto fresh = m_ledger.job(job.id);
    if (!fresh) return fresh.error();
    job = **fresh;
    state = *parseJobState(job.state);
  }
  if (state == JobState::Launching || state == JobState::Relaunching) {
    if (!job.pendingEnd.empty()) {
      // Stop or budget while no instance is recorded. A launch request whose answer was never
      // recorded (another process died mid-launch) may have started one: look before ending.
      const auto event = parseEvent(job.pendingEnd).value_or(JobEvent::StopConfirmed);
      auto open = m_ledger.attempt(job.id, job.currentAttempt);
      if (!open) return open.error();
      if (*open && (*open)->endMs == 0 && (*open)->instanceId.empty() && (*open)->requestedMs > 0) {
        if (!provider) return provider.error();
        auto found = (*provider)->compute().listByTag(job.id, {(*open)->region}, callOptions());
        if (!found) return found.error();
        for (const auto& inst : *found) {
          if (inst.attempt != (*open)->number || inst.state == cloud::InstanceState::Terminated) continue;
          // Adopt it; supervision then terminates it for the pending end and waits for the provider.
          return withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
            ledger::AttemptRecord a = **open;
            a.instanceId = inst.id;
            a.startMs = std::max(a.requestedMs, inst.launchedAtUnix * 1000);
            if (auto u = m_ledger.upsertAttempt(a); !u) return u;
            auto applied = apply(j, JobEvent::LaunchAccepted, "instance " + inst.id + " found and adopted", &report);
            return applied ? Result<void>() : Result<void>(applied.error());
          });
        }
      }
      return withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
        auto a = m_ledger.attempt(j.id, j.currentAttempt);
        if (!a) return a.error();
        if (*a && (*a)->endMs == 0) {
          if (!(*a)->instanceId.empty()) return {};  // an instance exists after all: supervise it
          if (auto c = closeAttempt(**a, endCauseFor(event), m_clock.nowMs()); !c) return c;
        }
        auto applied = apply(j, event, j.pendingEndMessage, &report);
        return applied ? Result<void>() : Result<void>(applied.error());
      });
    }
    if (m_clock.nowMs() < job.nextActionMs) return {};  // capacity back-off
    if (!provider) {
      return withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
        auto a = apply(j, JobEvent::LaunchFailed, provider.error().message, &report);
        return a ? Result<void>() : Result<void>(a.error());
      });
    }
    return launchAttempt(job, spec, **provider, report);
  }
  return {};
}

Result<void> Controller::launchAttempt(const ledger::JobRecord& job, const JobSpec& spec, cloud::Provider& provider,
                                       TickReport& report) {
  auto attempts = m_ledger.attempts(job.id);
  if (!attempts) return attempts.error();

  // An attempt whose launch request went out without an answer (transient error, or a crash before
  // the answer was recorded) is retried with the same number, hence the same client token.
  ledger::AttemptRecord attempt;
  const auto* open = currentAttempt(*attempts, job.currentAttempt);
  const bool retrying = open && open->endMs == 0 && open->instanceId.empty();
  if (retrying) {
    attempt = *open;
    // Before repeating a launch whose outcome is unknown, look for its instance (client tokens are
    // not honoured everywhere).
    auto found = provider.compute().listByTag(job.id, {attempt.region}, callOptions());
    if (!found) return found.error();
    for (const auto& inst : *found) {
      if (inst.attempt == attempt.number && inst.state != cloud::InstanceState::Terminated) {
        return withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
          attempt.instanceId = inst.id;
          attempt.zone = inst.zone.empty() ? attempt.zone : inst.zone;
          attempt.startMs = m_clock.nowMs();
          if (auto u = m_ledger.upsertAttempt(attempt); !u) return u;
          auto a = apply(j, JobEvent::LaunchAccepted, "instance " + inst.id + " found and adopted", &report);
          return a ? Result<void>() : Result<void>(a.error());
        });
      }
    }
  } else {
    const auto launched = std::ranges::count_if(*attempts, [](const auto& a) { return !a.instanceId.empty(); });
    if (launched >= spec.recovery.maxAttempts) {
      return withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
        auto a = apply(j, JobEvent::LaunchFailed,
                       "no attempts left (" + std::to_string(launched) + " of " +
                           std::to_string(spec.recovery.maxAttempts) + " used)",
                       &report);
        return a ? Result<void>() : Result<void>(a.error());
      });
    }
    const Placement placement =
        choosePlacement(spec, *attempts, m_alternatives ? m_alternatives(spec) : std::vector<Placement>{});
    attempt.jobId = job.id;
    attempt.number = job.currentAttempt + 1;
    attempt.provider = spec.offer.provider;
    attempt.region = placement.region;
    attempt.zone = placement.zone;
    attempt.instanceType = placement.instanceType;
    attempt.spot = placement.spot;
    attempt.pricePerHour = placement.pricePerHour;
    attempt.timeLapse = m_providers.billingTimeLapse(spec);
  }

  const std::string prefix = jobPrefix(spec, job.id);
  const std::int64_t expires = m_clock.nowMs() / 1000 + spec.maxRuntimeSeconds + 3600;
  auto access = provider.issueInstanceAccess(job.id, prefix, expires, callOptions());
  if (!access) return access.error();
  // Dead-man's switch: when the rest of the budget runs out at this attempt's price, or the
  // maximum runtime since the first launch, whichever comes first.
  std::int64_t deadlineUnix = 0;
  {
    const JobSpend spent = computeSpend(*attempts, m_clock.nowMs());
    const double left = std::max(0.0, spec.budgetUsd - spent.totalUsd);
    deadlineUnix = m_clock.nowMs() / 1000 + static_cast<std::int64_t>(left / (attempt.pricePerHour * std::max(1.0, attempt.timeLapse)) * 3600.0);
    std::int64_t firstStart = 0;
    for (const auto& a : *attempts) {
      if (a.startMs > 0 && (firstStart == 0 || a.startMs < firstStart)) firstStart = a.startMs;
    }
    if (firstStart > 0) deadlineUnix = std::min(deadlineUnix, firstStart / 1000 + spec.maxRuntimeSeconds);
  }
  auto script = m_bootstrapper.startupScript(spec, job.id, attempt.number, prefix, *access, deadlineUnix);
  if (!script) return script.error();

  cloud::LaunchSpec launch;
  launch.jobId = job.id;
  launch.attempt = attempt.number;
  launch.region = attempt.region;
  launch.zone = attempt.zone;
  launch.instanceType = attempt.instanceType;
  launch.spot = attempt.spot;
  launch.image = spec.image;
  launch.startupScript = *script;
  // The price the attempt is recorded at (the Local provider simulates spend at it; on the clouds
  // it makes an orphan's cost visible in the console).
  {
    char price[32];
    std::snprintf(price, sizeof price, "%.6f", attempt.pricePerHour);
    launch.extraTags["spotwise-price-per-hour"] = price;
  }
  if (access->values.contains("instanceProfile")) launch.instanceIdentity = access->values.at("instanceProfile");
  else if (access->values.contains("serviceAccount")) launch.instanceIdentity = access->values.at("serviceAccount");

  // Intent first: attempt row, current attempt and the pending launch in one transaction.
  std::int64_t intentId = 0;
  if (auto r = withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
        if (j.state != jobStateName(JobState::Launching) && j.state != jobStateName(JobState::Relaunching)) {
          return makeError(ErrorCode::Cancelled, "Launch: job left " + job.state + " meanwhile");
        }
        if (!j.pendingEnd.empty()) return makeError(ErrorCode::Cancelled, "Launch: the job is being stopped");
        // Another process sharing the ledger moved the job on since we read it: leave it to them.
        if (j.currentAttempt != (retrying ? attempt.number : attempt.number - 1)) {
          return makeError(ErrorCode::Cancelled, "Launch: attempt " + std::to_string(attempt.number) + " is no longer next");
        }
        attempt.requestedMs = m_clock.nowMs();
        if (auto u = m_ledger.upsertAttempt(attempt); !u) return u;
        j.currentAttempt = attempt.number;
        ledger::IntentRecord intent;
        intent.jobId = j.id;
        intent.attempt = attempt.number;
        intent.clientToken = launch.clientToken();
        intent.operation = "launch";
        intent.target = attempt.region + (attempt.zone.empty() ? "" : "/" + attempt.zone);
        intent.createdMs = m_clock.nowMs();
        auto id = m_ledger.beginIntent(intent);
        if (!id) return id.error();
        intentId = *id;
        return {};
      });
      !r) {
    return r.error().code == ErrorCode::Cancelled ? Result<void>() : r;
  }

  auto launched = provider.compute().launch(launch, callOptions());
  const std::int64_t now = m_clock.nowMs();
  if (launched) {
    return withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
      if (auto i = m_ledger.resolveIntent(intentId, "ok", launched->id, now); !i) return i;
      attempt.instanceId = launched->id;
      if (!launched->zone.empty()) attempt.zone = launched->zone;
      attempt.startMs = now;
      if (auto u = m_ledger.upsertAttempt(attempt); !u) return u;
      j.capacityFailures = 0;
      j.nextActionMs = 0;
      auto a = apply(j, JobEvent::LaunchAccepted,
                     "attempt " + std::to_string(attempt.number) + ": " + launched->id + " in " + attempt.region +
                         (attempt.spot ? " (spot)" : " (on-demand)"),
                     &report);
      if (!a) return a.error();
      if (!*a) {
        // Stopped while the launch was in flight: keep the instance on record and stop it.
        j.pendingEnd = std::string(jobEventName(JobEvent::StopConfirmed));
        j.pendingEndMessage = "stopped by the user";
      }
      return {};
    });
  }

  const Error& error = launched.error();
  if (isTransient(error)) {
    // Same attempt, same token next tick.
    if (auto r = m_ledger.resolveIntent(intentId, "failed", "transient: " + error.toString(), now); !r) return r;
    return error;
  }
  const bool capacity = error.code == ErrorCode::ResourceExhausted;
  return withJob(job.id, [&](ledger::JobRecord& j) -> Result<void> {
    if (auto i = m_ledger.resolveIntent(intentId, "failed", error.toString(), now); !i) return i;
    attempt.endMs = now;
    attempt.goneMs = now;  // no instance: nothing bills
    attempt.endCause = capacity ? "capacity" : "launch-failed";
    if (auto u = m_ledger.upsertAttempt(attempt); !u) return u;
    if (capacity && j.capacityFailures < spec.recovery.maxCapacityRetries) {
      ++j.capacityFailures;
      const auto wait = capacityBackoffMs(j.capacityFailures, m_config.capacityBackoffBaseMs,
                                          m_config.capacityBackoffMaxMs, m_rng);
      j.nextActionMs = now + wait;
      auto a = apply(j, JobEvent::LaunchCapacityError,
                     "no capacity in " + attempt.region + " (" + error.message + "); retrying in " +
                         std::to_string(wait / 1000) + " s, next zone or region first",
                     &report);
      return a ? Result<void>() : Result<void>(a.error());
    }
    auto a = apply(j, JobEvent::LaunchFailed,
                   capacity ? "no capacity after " + std::to_string(j.capacityFailures + 1) + " tries: " + error.message
                            : "launch refused: " + error.toString(),
                   &report);
    return a ? Result<void>() : Result<void>(a.error());
  });
}

Result<void> Controller::closeAttempt(ledger::AttemptRecord attempt, std::string_view cause, std::int64_t goneAtMs) {
  if (attempt.endMs != 0) return {};
  attempt.endMs = std::max(m_clock.nowMs(), attempt.startMs);
  attempt.endCause = std::string(cause);
  if (goneAtMs > 0) attempt.goneMs = goneAtMs;
  else if (attempt.instanceId.empty()) attempt.goneMs = attempt.endMs;
  return m_ledger.upsertAttempt(attempt);
}

Result<void> Controller::requestTermination(const ledger::JobRecord& job, const ledger::AttemptRecord& attempt,
                                            cloud::Provider& provider, TickReport& report) {
  ledger::IntentRecord intent;
  intent.jobId = job.id;
  intent.attempt = attempt.number;
  intent.clientToken = "spotwise-" + job.id + "-" + std::to_string(attempt.number) + "-terminate";
  intent.operation = "terminate";
  intent.target = attempt.instanceId;
  intent.createdMs = m_clock.nowMs();
  auto id = m_ledger.beginIntent(intent);
  if (!id) return id.error();
  auto done = provider.compute().terminate({{attempt.region, attempt.instanceId}}, callOptions());
  if (done) m_terminatedThisTick.emplace_back(&provider, attempt.instanceId);
  if (auto r = m_ledger.resolveIntent(*id, done ? "ok" : "failed", done ? "" : done.error().toString(), m_clock.nowMs());
      !r) {
    return r;
  }
  if (!done) report.errors.push_back(job.id + ": terminate " + attempt.instanceId + ": " + done.error().message);
  return {};
}

Result<void> Controller::superviseInstance(Live& live, TickReport& report) {
  const std::int64_t now = m_clock.nowMs();
  const cloud::Instance& inst = *live.instance;
  const bool gone = inst.state == cloud::InstanceState::Terminated;
  const bool ending = gone || inst.state == cloud::InstanceState::Stopping;
  const JobState state = *parseJobState(live.job.state);

  // Progress of this attempt and of the job, written (in one transaction) only when it changed.
  if (live.status) {
    const auto& s = *live.status;
    auto& a = live.attempt;
    const auto before = std::tuple(a.lastStep, a.checkpointStep, a.resumedFromStep);
    if (s.step >= 0) a.lastStep = std::max(a.lastStep, s.step);
    if (s.checkpointStep >= 0) a.checkpointStep = std::max(a.checkpointStep, s.checkpointStep);
    if (s.resumedFromStep >= 0 && a.resumedFromStep < 0) a.resumedFromStep = s.resumedFromStep;
    const bool attemptChanged = before != std::tuple(a.lastStep, a.checkpointStep, a.resumedFromStep);
    const auto& j0 = live.job;
    const bool jobChanged = (s.step >= 0 && s.step != j0.step) || (s.total >= 0 && s.total != j0.totalSteps) ||
                            (s.loss && s.loss != j0.loss) || s.updatedAtMs > j0.lastHeartbeatMs;
    if (attemptChanged || jobChanged) {
      if (auto r = withJob(live.job.id, [&](ledger::JobRecord& j) -> Result<void> {
            if (s.step >= 0) j.step = s.step;
            if (s.total >= 0) j.totalSteps = s.total;
            if (s.loss) j.loss = s.loss;
            if (s.updatedAtMs > 0) j.lastHeartbeatMs = std::max(j.lastHeartbeatMs, s.updatedAtMs);
            live.job = j;
            if (!attemptChanged) return {};
            if (auto u = m_ledger.upsertAttempt(a); !u) return u;
            // Work the previous attempt lost: what it had done beyond the checkpoint this one resumed from.
            if (a.resumedFromStep >= 0 && a.number > 1) {
              auto prev = m_ledger.attempt(a.jobId, a.number - 1);
              if (!prev) return prev.error();
              if (*prev && (*prev)->workLostSteps < 0 && (*prev)->lastStep >= 0) {
                auto p = **prev;
                p.workLostSteps = std::max<std::int64_t>(0, p.lastStep - a.resumedFromStep);
                const std::int64_t done = p.lastStep - std::max<std::int64_t>(0, p.resumedFromStep);
                if (done > 0 && p.endMs > p.startMs) {
                  p.workLostSeconds = static_cast<double>(p.workLostSteps) * static_cast<double>(p.endMs - p.startMs) /
                                      1000.0 / static_cast<double>(done);
                }
                if (auto u = m_ledger.upsertAttempt(p); !u) return u;
              }
            }
            return {};
          });
          !r) {
        return r;
      }
    }
  }

  // 1. An end already decided: terminate, and apply it once the provider confirms.
  if (!live.job.pendingEnd.empty()) {
    std::int64_t goneAtMs = gone ? goneAt(inst, live.attempt, now) : 0;
    if (!gone) {
      if (auto r = requestTermination(live.job, live.attempt, *live.provider, report); !r) return r;
      auto again = live.provider->compute().describe({{live.attempt.region, live.attempt.instanceId}}, callOptions());
      const bool confirmed = again && (again->empty() || again->front().state == cloud::InstanceState::Terminated);
      if (!confirmed) return {};  // confirmed on a later tick
      goneAtMs = again->empty() ? m_clock.nowMs() : goneAt(again->front(), live.attempt, m_clock.nowMs());
    }
    const auto event = parseEvent(live.job.pendingEnd).value_or(JobEvent::StopConfirmed);
    return withJob(live.job.id, [&](ledger::JobRecord& j) -> Result<void> {
      if (auto c = closeAttempt(live.attempt, endCauseFor(event), goneAtMs); !c) return c;
      const std::string message = j.pendingEndMessage;
      auto a = apply(j, event, message, &report);
      return a ? Result<void>() : Result<void>(a.error());
    });
  }

  auto setPendingEnd = [&](JobEvent event, const std::string& message) -> Result<void> {
    if (auto r = withJob(live.job.id, [&](ledger::JobRecord& j) -> Result<void> {
          if (!j.pendingEnd.empty()) return {};
          j.pendingEnd = std::string(jobEventName(event));
          j.pendingEndMessage = message;
          live.job = j;
          return note(j, std::string(jobEventName(event)) + ": " + message + "; terminating " + live.attempt.instanceId);
        });
        !r) {
      return r;
    }
    live.job.pendingEnd = std::string(jobEventName(event));
    live.job.pendingEndMessage = message;
    return superviseInstance(live, report);
  };

  const std::string statusState = live.status ? live.status->state : std::string();
  if (statusState == "succeeded") {
    return setPendingEnd(JobEvent::ProgramSucceeded, "training finished");
  }
  if (statusState == "failed") {
    std::string message = "the program failed";
    if (live.status->exitCode) message += " (exit code " + std::to_string(*live.status->exitCode) + ")";
    if (!live.status->message.empty()) message += ": " + live.status->message;
    return setPendingEnd(JobEvent::ProgramFailed, message);
  }

  // 2. Preemption: the agent saved its last checkpoint after a notice, or the provider reclaimed the instance.
  const bool spotReclaimed = ending && (inst.endReason == cloud::EndReason::SpotInterruption ||
                                        (live.attempt.spot && inst.endReason != cloud::EndReason::User &&
                                         inst.endReason != cloud::EndReason::Error));
  if (statusState == "preempted" || spotReclaimed) {
    const std::string why = statusState == "preempted" ? "preemption notice; last checkpoint at step " +
                                                             std::to_string(live.status->checkpointStep)
                                                       : "spot instance reclaimed" +
                                                             (inst.stateMessage.empty() ? "" : ": " + inst.stateMessage);
    if (!gone) {
      // The provider takes it anyway; asking too means nothing of this attempt is left billing.
      if (auto r = requestTermination(live.job, live.attempt, *live.provider, report); !r) return r;
    }
    if (auto r = withJob(live.job.id, [&](ledger::JobRecord& j) -> Result<void> {
          if (auto c = closeAttempt(live.attempt, "preempted", gone ? goneAt(inst, live.attempt, now) : 0); !c) return c;
          auto a = apply(j, JobEvent::PreemptionDetected, why, &report);
          return a ? Result<void>() : Result<void>(a.error());
        });
        !r) {
      return r;
    }
    if (auto r = decideAfterPreemption(live.job.id, live.spec, *live.provider, report); !r) return r;
    auto fresh = m_ledger.job(live.job.id);
    if (!fresh) return fresh.error();
    if (*fresh && ((*fresh)->state == jobStateName(JobState::Relaunching))) {
      return launchAttempt(**fresh, live.spec, *live.provider, report);
    }
    return {};
  }
  if (ending) {
    const std::string why = inst.endReason == cloud::EndReason::User
                                ? "the instance was terminated outside Spotwise"
                                : "the instance ended without the agent reporting why" +
                                      (inst.stateMessage.empty() ? std::string() : ": " + inst.stateMessage);
    if (!gone) return setPendingEnd(JobEvent::InstanceLost, why);
    return withJob(live.job.id, [&](ledger::JobRecord& j) -> Result<void> {
      if (auto c = closeAttempt(live.attempt, "instance-lost", goneAt(inst, live.attempt, now)); !c) return c;
      auto a = apply(j, JobEvent::InstanceLost, why, &report);
      return a ? Result<void>() : Result<void>(a.error());
    });
  }

  // 3. Heartbeats.
  const bool reporting = live.status && statusState != "booting";
  if (state == JobState::Booting) {
    if (reporting) {
      if (auto r = withJob(live.job.id, [&](ledger::JobRecord& j) -> Result<void> {
            auto a = apply(j, JobEvent::AgentReported,
                           "agent reports " + statusState +
                               (live.status->gpuModel.empty() ? "" : " on " + std::to_string(live.status->gpuCount) +
                                                                         "x " + live.status->gpuModel),
                           &report);
            if (!a) return a.error();
            live.job = j;
            return {};
          });
          !r) {
        return r;
      }
    } else if (now - live.attempt.startMs > m_config.bootTimeoutMs) {
      return setPendingEnd(JobEvent::BootTimedOut, "the agent did not report within " + minutes(m_config.bootTimeoutMs) +
                                                       " of the launch (check the image and the startup log)");
    }
  }
  if (*parseJobState(live.job.state) == JobState::Running) {
    const std::int64_t last = std::max(live.job.lastHeartbeatMs, live.attempt.startMs);
    if (now - last > m_config.heartbeatTimeoutMs) {
      return setPendingEnd(JobEvent::AgentSilent, "no heartbeat from the agent for " + minutes(now - last));
    }
  }

  // 4. The spot price in effect (every few polls), then budget and maximum runtime.
  if (auto r = followSpotPrice(live, report); !r) report.errors.push_back(live.job.id + ": " + r.error().message);
  auto attempts = m_ledger.attempts(live.job.id);
  if (!attempts) return attempts.error();
  const JobSpend spend = computeSpend(*attempts, now);
  const JobSpend projected = computeSpend(*attempts, now + m_config.pollIntervalMs + m_config.terminationLatencyMs);
  // One spend sample per poll interval, at least a second apart (the live chart's resolution).
  auto& lastSample = m_lastSpendSampleMs[live.job.id];
  if (now - lastSample >= std::max<std::int64_t>(1000, m_config.pollIntervalMs)) {
    if (auto r = m_ledger.addSpendSample({live.job.id, now, spend.totalUsd, spend.burnUsdPerHour}); !r) return r;
    lastSample = now;
  }
  if (projected.totalUsd >= live.spec.budgetUsd) {
    return setPendingEnd(JobEvent::BudgetReached,
                         "spent " + dollars(spend.totalUsd) + " of " + dollars(live.spec.budgetUsd) +
                             "; the next poll would cross the budget");
  }
  std::int64_t firstStart = 0;
  for (const auto& a : *attempts) {
    if (a.startMs > 0 && (firstStart == 0 || a.startMs < firstStart)) firstStart = a.startMs;
  }
  if (firstStart > 0 && now - firstStart >= live.spec.maxRuntimeSeconds * 1000) {
    return setPendingEnd(JobEvent::MaxRuntimeReached,
                         "the maximum runtime of " + minutes(live.spec.maxRuntimeSeconds * 1000) + " was reached");
  }
  return {};
}

Result<void> Controller::followSpotPrice(Live& live, TickReport& report) {
  if (!live.attempt.spot || m_config.priceCheckEveryPolls <= 0) return {};
  int& polls = m_pollsSincePriceCheck[live.job.id];
  if (++polls < m_config.priceCheckEveryPolls) return {};
  polls = 0;
  auto quote = m_providers.currentSpotPrice(live.spec, live.attempt);
  if (!quote) return makeError(quote.error().code, "spot price: " + quote.error().message);
  if (!*quote || !((*quote)->pricePerHour > 0)) return {};
  const double price = (*quote)->pricePerHour;
  const std::int64_t now = m_clock.nowMs();
  const double before = priceAt(live.attempt, now);
  if (std::abs(price - before) < 1e-9) return {};
  return withJob(live.job.id, [&](ledger::JobRecord& j) -> Result<void> {
    auto fresh = m_ledger.attempt(j.id, live.attempt.number);
    if (!fresh) return fresh.error();
    if (!*fresh || (*fresh)->endMs != 0) return {};
    ledger::AttemptRecord a = **fresh;
    // In effect since the provider says (a price older than the launch: since the launch), never
    // before a change already recorded nor after now.
    std::int64_t at = (*quote)->sinceMs > 0 ? (*quote)->sinceMs : now;
    at = std::max(at, a.startMs);
    if (!a.priceChanges.empty()) at = std::max(at, a.priceChanges.back().atMs);
    at = std::min(at, now);
    if (!a.priceChanges.empty() && a.priceChanges.back().atMs == at) a.priceChanges.back().pricePerHour = price;
    else a.priceChanges.push_back({at, price});
    if (auto u = m_ledger.upsertAttempt(a); !u) return u;
    live.attempt = a;
    char text[160];
    std::snprintf(text, sizeof text, "spot price of %s in %s changed from $%.4f to $%.4f per hour", a.instanceType.c_str(),
                  a.zone.empty() ? a.region.c_str() : a.zone.c_str(), before, price);
    report.transitions.push_back(j.id + ": " + text);
    return note(j, text);
  });
}

Result<void> Controller::decideAfterPreemption(const std::string& jobId, const JobSpec& spec, cloud::Provider& /*provider*/,
                                               TickReport& report) {
  return withJob(jobId, [&](ledger::JobRecord& j) -> Result<void> {
    if (j.state != jobStateName(JobState::Preempted)) return {};
    if (!j.pendingEnd.empty()) {
      const auto event = parseEvent(j.pendingEnd).value_or(JobEvent::StopConfirmed);
      auto a = apply(j, event, j.pendingEndMessage, &report);
      return a ? Result<void>() : Result<void>(a.error());
    }
    auto attempts = m_ledger.attempts(jobId);
    if (!attempts) return attempts.error();
    const auto launched = std::ranges::count_if(*attempts, [](const auto& a) { return !a.instanceId.empty(); });
    if (launched >= spec.recovery.maxAttempts) {
      auto a = apply(j, JobEvent::AttemptsExhausted,
                     "preempted " + std::to_string(launched) + " times; the recovery policy allows " +
                         std::to_string(spec.recovery.maxAttempts) + " attempts",
                     &report);
      return a ? Result<void>() : Result<void>(a.error());
    }
    const JobSpend spend = computeSpend(*attempts, m_clock.nowMs());
    // A relaunch must be able to run at least until the next poll within the budget.
    const double minimumNext = attemptCost(spec.offer.provider,
                                           static_cast<double>(m_config.pollIntervalMs + m_config.terminationLatencyMs) / 1000.0,
                                           spec.offer.pricePerHour);
    if (spend.totalUsd + minimumNext >= spec.budgetUsd) {
      auto a = apply(j, JobEvent::BudgetReached,
                     "spent " + dollars(spend.totalUsd) + " of " + dollars(spec.budgetUsd) + "; no room for another attempt",
                     &report);
      return a ? Result<void>() : Result<void>(a.error());
    }
    auto a = apply(j, JobEvent::RelaunchScheduled, "relaunching as attempt " + std::to_string(j.currentAttempt + 1),
                   &report);
    return a ? Result<void>() : Result<void>(a.error());
  });
}

Result<ReconcileReport> Controller::reconcile() {
  ReconcileReport report;
  TickReport ignored;
  const std::int64_t now = m_clock.nowMs();
  const std::int64_t nowUnix = now / 1000;  // whole seconds, the resolution of launchedAtUnix
  std::map<std::string, std::vector<std::string>> seenByJobAttempt;  // "job#attempt" → instance ids
  for (auto* provider : m_providers.allProviders()) {
    auto listed = provider->compute().listByTag("", {}, callOptions());
    if (!listed) return Error{listed.error().code, "Reconcile: " + std::string(provider->id()) + ": " + listed.error().message,
                              listed.error().httpStatus, listed.error().providerCode, listed.error().retryAfter};
    for (const auto& inst : *listed) {
      if (inst.state == cloud::InstanceState::Terminated) continue;
      auto job = m_ledger.job(inst.jobId);
      if (!job) return job.error();
      auto orphan = [&](std::string reason, double price) {
        Orphan o;
        o.provider = std::string(provider->id());
        o.instance = inst;
        o.reason = std::move(reason);
        const double seconds = inst.launchedAtUnix > 0 ? std::max(0.0, static_cast<double>(nowUnix - inst.launchedAtUnix)) : 0.0;
        o.costSoFarUsd = attemptCost(provider->id(), seconds, price);
        report.orphans.push_back(std::move(o));
      };
      if (!*job) {
        orphan("no job " + inst.jobId + " in this ledger", 0.0);
        continue;
      }
      const ledger::JobRecord& j = **job;
      auto attempt = m_ledger.attempt(j.id, inst.attempt);
      if (!attempt) return attempt.error();
      const double price = *attempt ? (*attempt)->pricePerHour : 0.0;
      const auto state = parseJobState(j.state).value_or(JobState::Failed);
      if (isTerminal(state)) {
        if (*attempt && (*attempt)->endMs > 0 && (*attempt)->instanceId == inst.id) {
          // The ledger ended this attempt and asked for its termination (the confirmation was
          // never seen): finishing that is our own pending work, not the user's decision.
          if (auto r = requestTermination(j, **attempt, *provider, ignored); !r) return r.error();
          report.cleaned.push_back(inst.id);
        } else {
          orphan("job " + j.id + " has ended (" + j.state + ")", price);
        }
        continue;
      }
      const std::string key = j.id + "#" + std::to_string(inst.attempt);
      auto& seen = seenByJobAttempt[key];
      if (inst.attempt == j.currentAttempt && *attempt && (*attempt)->endMs == 0) {
        ledger::AttemptRecord a = **attempt;
        if (a.instanceId.empty() && seen.empty()) {
          // The launch happened but the controller died before recording it: adopt.
          auto r = withJob(j.id, [&](ledger::JobRecord& jr) -> Result<void> {
            a.instanceId = inst.id;
            if (!inst.zone.empty()) a.zone = inst.zone;
            a.startMs = inst.launchedAtUnix > 0 ? std::min(now, inst.launchedAtUnix * 1000) : now;
            a.startMs = std::max(a.startMs, a.requestedMs);
            if (auto u = m_ledger.upsertAttempt(a); !u) return u;
            auto intents = m_ledger.intents(j.id);
            if (!intents) return intents.error();
            for (const auto& i : *intents) {
              if (i.outcome == "pending" && i.operation == "launch" && i.attempt == a.number) {
                if (auto x = m_ledger.resolveIntent(i.id, "adopted", inst.id, now); !x) return x;
                ++report.resolvedIntents;
              }
            }
            auto applied = apply(jr, JobEvent::LaunchAccepted, "re-attached to " + inst.id + " after a restart", &ignored);
            return applied ? Result<void>() : Result<void>(applied.error());
          });
          if (!r) return r.error();
          seen.push_back(inst.id);
          report.reattached.push_back(j.id);
          continue;
        }
        if (a.instanceId == inst.id) {
          seen.push_back(inst.id);
          report.reattached.push_back(j.id);
          continue;
        }
      }
      // An instance of a live job that is not its current attempt's: an ended attempt (or a
      // duplicate launch). It is ours and over: terminate it now.
      ledger::AttemptRecord target;
      target.jobId = j.id;
      target.number = inst.attempt;
      target.region = inst.region;
      target.instanceId = inst.id;
      if (auto r = requestTermination(j, target, *provider, ignored); !r) return r.error();
      report.cleaned.push_back(inst.id);
    }
  }
  // Launch intents still pending and not adopted: the launch never reached the provider (or its
  // instance is gone); the next tick retries with the same attempt number and token.
  auto pending = m_ledger.pendingIntents();
  if (!pending) return pending.error();
  for (const auto& i : *pending) {
    const std::string outcome = i.operation == "launch" ? "not-found" : "retry";
    if (auto r = m_ledger.resolveIntent(i.id, outcome, "resolved at start-up reconciliation", now); !r) return r.error();
    ++report.resolvedIntents;
  }
  std::ranges::sort(report.reattached);
  report.reattached.erase(std::unique(report.reattached.begin(), report.reattached.end()), report.reattached.end());
  return report;
}

Result<void> Controller::terminateOrphans(const std::vector<Orphan>& orphans) {
  for (auto* provider : m_providers.allProviders()) {
    std::vector<cloud::InstanceRef> refs;
    for (const auto& o : orphans) {
      if (o.provider == provider->id()) refs.push_back({o.instance.region, o.instance.id});
    }
    if (refs.empty()) continue;
    if (auto r = provider->compute().terminate(refs, callOptions()); !r) return r;
  }
  return {};
}

Result<void> Controller::runUntilDone(std::string_view jobId, const std::function<bool(const TickReport&)>& until) {
  while (true) {
    auto report = tick();
    if (!report) return report.error();
    if (until && until(*report)) return {};
    // Done when the job(s) ended and the provider confirmed every instance of theirs gone.
    auto unconfirmed = m_ledger.unconfirmedAttempts();
    if (!unconfirmed) return unconfirmed.error();
    const bool settled = std::ranges::none_of(*unconfirmed, [&](const ledger::AttemptRecord& a) {
      return jobId.empty() || a.jobId == jobId;
    });
    if (jobId.empty()) {
      if (report->activeJobs == 0 && settled) return {};
    } else {
      auto job = m_ledger.job(jobId);
      if (!job) return job.error();
      if (!*job) return makeError(ErrorCode::NotFound, "no job " + std::string(jobId));
      if (isTerminal(parseJobState((*job)->state).value_or(JobState::Failed)) && settled) return {};
    }
    m_clock.sleepMs(m_config.pollIntervalMs);
  }
}

}  // namespace spotwise::jobs
