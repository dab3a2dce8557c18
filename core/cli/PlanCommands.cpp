// `spotwise-cli plan`: ranks the embedded snapshot's spot offers for one GPU configuration by the expected
// cost of finishing a training run, preemptions and checkpoints included.
#include <cmath>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/cli/CliContext.h"
#include "core/common/Time.h"
#include "core/ledger/Ledger.h"
#include "core/jobs/Runtime.h"
#include "core/planner/ObservedHistory.h"
#include "core/planner/Planner.h"
#include "core/pricing/Snapshot.h"

namespace spotwise::cli {

namespace {

using planner::OfferPlan;

std::string fixed(double value, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

// 0.75 h → "45m", 3.5 h → "3h30m": how people read a checkpoint interval.
std::string duration(double hours) {
  const long long minutes = std::llround(hours * 60.0);
  if (minutes < 60) return std::to_string(minutes) + "m";
  const long long h = minutes / 60;
  const long long m = minutes % 60;
  return std::to_string(h) + "h" + (m ? (m < 10 ? "0" : "") + std::to_string(m) + "m" : std::string());
}

const char* optionFor(planner::PlanField field) {
  switch (field) {
    case planner::PlanField::Work: return "--hours";
    case planner::PlanField::Steps: return "--steps";
    case planner::PlanField::SecondsPerStep: return "--seconds-per-step";
    case planner::PlanField::GpuCount: return "--count";
    case planner::PlanField::Checkpoint: return "--checkpoint-min";
    case planner::PlanField::Restart: return "--restart-min";
    case planner::PlanField::Interval: return "--interval-hours";
    case planner::PlanField::RateOverride: return "--rate";
    case planner::PlanField::Fallback: return "--fallback-after";
    case planner::PlanField::Deadline: return "--deadline-hours";
    case planner::PlanField::Budget: return "--budget";
    case planner::PlanField::Runs: return "--runs";
    case planner::PlanField::Move:
    case planner::PlanField::MaxInstances: return "plan";  // a job's recovery policy: not a plan option
  }
  return "plan";
}

nlohmann::json optionalJson(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

void printTable(std::ostream& out, const std::vector<OfferPlan>& plans) {
  std::vector<std::string> header{"#", "provider", "region", "instance_type", "spot_usd_h", "preempt_per_h", "rate_source",
                                  "exp_cost_usd", "p90_cost_usd", "exp_hours", "p90_hours", "savings_pct",
                                  "checkpoint_every"};
  // With a deadline or budget: the share of simulated runs meeting them.
  const bool target = !plans.empty() && plans.front().simulation.targetProbability.has_value();
  if (target) header.emplace_back("on_target_pct");
  std::vector<std::vector<std::string>> rows{header};
  int rank = 0;
  for (const auto& p : plans) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.3g", p.hazard.ratePerHour);
    rows.push_back({std::to_string(++rank), std::string(pricing::providerId(p.offer.provider)),
                    p.offer.region + (p.offer.zone.empty() ? "" : " (" + p.offer.zone + ")"), p.offer.instanceType,
                    fixed(p.offer.spot->usdPerHour, 4), rate,
                    std::string(planner::hazardSourceName(p.hazard.source)) +
                        (p.hazard.source == planner::HazardSource::Observed
                             ? " (" + std::to_string(p.hazard.observations) + " in " + fixed(p.hazard.observedHours, 0) + "h)"
                             : std::string()) +
                        (p.hazard.maxUptimeHours ? ", 24h cap" : ""),
                    fixed(p.expectedCostUsd(), 2), fixed(p.simulation.costUsd.p90, 2), fixed(p.expectedHours(), 1),
                    fixed(p.simulation.hours.p90, 1), p.savingsPercent ? fixed(*p.savingsPercent, 1) : "-",
                    duration(p.shape.intervalHours)});
    if (target) rows.back().push_back(fixed(p.simulation.targetProbability.value_or(0.0) * 100.0, 0));
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool text = i >= 1 && i <= 3;
      out << (text ? std::left : std::right) << std::setw(static_cast<int>(width[i])) << row[i]
          << (i + 1 < row.size() ? "  " : "\n");
    }
  }
}

nlohmann::json planJson(const OfferPlan& p) {
  const auto& o = p.offer;
  const auto& sim = p.simulation;
  return {{"provider", pricing::providerId(o.provider)},
          {"region", o.region},
          {"zone", o.zone.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.zone)},
          {"instanceType", o.instanceType},
          {"gpuModel", o.gpuModel},
          {"gpuCount", o.gpuCount},
          {"spotUsdPerHour", o.spot->usdPerHour},
          {"onDemandUsdPerHour", o.onDemand ? nlohmann::json(o.onDemand->usdPerHour) : nlohmann::json(nullptr)},
          {"hazard",
           {{"ratePerHour", p.hazard.ratePerHour},
            {"source", planner::hazardSourceName(p.hazard.source)},
            {"assumption", p.hazard.assumption},
            {"maxUptimeHours", optionalJson(p.hazard.maxUptimeHours)},
            {"observations", p.hazard.source == planner::HazardSource::Observed ? nlohmann::json(p.hazard.observations)
                                                                                 : nlohmann::json(nullptr)},
            {"observedHours", p.hazard.source == planner::HazardSource::Observed ? nlohmann::json(p.hazard.observedHours)
                                                                                  : nlohmann::json(nullptr)},
            {"basis", p.hazard.basis}}},
          {"workHours", p.shape.workHours},
          {"checkpointHours", p.shape.checkpointHours},
          {"restartHours", p.shape.restartHours},
          {"intervalHours", p.shape.intervalHours},
          {"intervalRecommended", p.intervalRecommended},
          {"optimumIntervalHours",
           {{"young", optionalJson(p.advice.young)},
            {"dalyHigherOrder", optionalJson(p.advice.dalyHigherOrder)},
            {"exact", optionalJson(p.advice.exact)}}},
          {"analytic", {{"hours", optionalJson(p.analyticHours)}, {"costUsd", optionalJson(p.analyticCostUsd)}}},
          {"expected", {{"hours", sim.hours.mean}, {"costUsd", sim.costUsd.mean}}},
          {"p50", {{"hours", sim.hours.p50}, {"costUsd", sim.costUsd.p50}}},
          {"p90", {{"hours", sim.hours.p90}, {"costUsd", sim.costUsd.p90}}},
          {"meanPreemptions", sim.meanPreemptions},
          {"fallbackShare", sim.fallbackShare},
          {"deadlineProbability", optionalJson(sim.deadlineProbability)},
          {"budgetProbability", optionalJson(sim.budgetProbability)},
          {"targetProbability", optionalJson(sim.targetProbability)},
          {"onDemandCostUsd", optionalJson(p.onDemandCostUsd)},
          {"savingsPercent", optionalJson(p.savingsPercent)}};
}

}  // namespace

void addPlanCommands(CLI::App& app, CliContext& context) {
  auto* plan = app.add_subcommand("plan", "Rank spot offers by the expected cost of finishing a training run, preemptions included");
  plan->footer("\n" + planner::hazardModelHelp());
  struct Options {
    std::string gpu, risk = "typical", provider, ledger;
    int count = 1;
    std::optional<double> hours, steps, secondsPerStep, restartMin, intervalHours, rate, deadlineHours, budget;
    double checkpointMin = 0.0;
    std::optional<int> fallbackAfter;
    int runs = 100000;
    std::uint64_t seed = 20261128;
    bool preemptible = false, driverAtBoot = false, asJson = false, noHistory = false;
  };
  auto options = std::make_shared<Options>();
  plan->add_option("--gpu", options->gpu, "GPU model, e.g. A100-80GB, H100, T4")->required();
  plan->add_option("--count", options->count, "GPUs per machine (default 1)");
  auto* hours = plan->add_option("--hours", options->hours, "Work in GPU-hours on this GPU model (split over --count GPUs)");
  auto* steps = plan->add_option("--steps", options->steps, "Work as a number of training steps (with --seconds-per-step)");
  auto* sps = plan->add_option("--seconds-per-step", options->secondsPerStep, "Seconds per step on the whole machine");
  hours->excludes(steps);
  steps->needs(sps);
  sps->needs(steps);
  plan->add_option("--checkpoint-min", options->checkpointMin, "Minutes to write one checkpoint")->required();
  plan->add_option("--restart-min", options->restartMin,
                   "Minutes to restart after a preemption: boot, driver, restore (default per provider: AWS 6, GCP 5, Azure 8)");
  plan->add_flag("--driver-at-boot", options->driverAtBoot, "The image installs the GPU driver at boot (+8 min per restart)");
  plan->add_option("--risk", options->risk, "Point of the interruption range: optimistic, typical or pessimistic")
      ->check(CLI::IsMember({"optimistic", "typical", "pessimistic"}, CLI::ignore_case));
  plan->add_option("--rate", options->rate, "Your own preemption rate per instance-hour, for every offer");
  plan->add_option("--interval-hours", options->intervalHours, "Checkpoint every this many hours (default: the optimum per offer)");
  plan->add_flag("--gcp-preemptible", options->preemptible, "GCP: preemptible VMs (stopped after 24 h) instead of spot VMs");
  plan->add_option("--fallback-after", options->fallbackAfter, "Continue on on-demand after this many preemptions");
  plan->add_option("--deadline-hours", options->deadlineHours, "Report the chance of finishing within this many hours");
  plan->add_option("--budget", options->budget, "Report the chance of staying within this many dollars");
  plan->add_option("--provider", options->provider, "Only aws, gcp or azure")
      ->check(CLI::IsMember({"aws", "gcp", "azure"}, CLI::ignore_case));
  plan->add_option("--runs", options->runs, "Simulated runs per offer (default 100000)");
  plan->add_option("--seed", options->seed, "Random seed: the same seed gives the same numbers");
  plan->add_option("--ledger", options->ledger,
                   "Job ledger to learn preemption rates from (default $SPOTWISE_LEDGER or ~/.local/share/spotwise/ledger.sqlite, when it exists)");
  plan->add_flag("--no-history", options->noHistory, "Ignore your own preemption history");
  plan->add_flag("--json", options->asJson, "Print JSON");

  plan->callback([options, &context] {
    auto& err = context.err;
    if (!options->hours && !options->steps) {
      err << "spotwise-cli plan: give the work as --hours GPU-HOURS or as --steps N --seconds-per-step S\n";
      context.exitCode = 2;
      return;
    }
    planner::PlanRequest request;
    if (options->hours) {
      request.work.unit = planner::WorkUnit::GpuHours;
      request.work.gpuHours = *options->hours;
    } else {
      request.work.unit = planner::WorkUnit::Steps;
      request.work.steps = *options->steps;
      request.work.secondsPerStep = options->secondsPerStep.value_or(0.0);
    }
    request.gpuModel = options->gpu;
    request.gpuCount = options->count;
    request.checkpointMinutes = options->checkpointMin;
    request.restartMinutes = options->restartMin;
    request.image = options->driverAtBoot ? planner::ImageKind::DriverInstalledAtBoot : planner::ImageKind::DriverPreinstalled;
    request.intervalHours = options->intervalHours;
    request.hazard.risk = planner::parseRiskPoint(options->risk).value_or(planner::RiskPoint::Typical);
    request.hazard.gcpVmKind = options->preemptible ? planner::GcpVmKind::Preemptible : planner::GcpVmKind::Spot;
    request.hazard.overrideRatePerHour = options->rate;
    request.fallbackAfterPreemptions = options->fallbackAfter;
    request.deadlineHours = options->deadlineHours;
    request.budgetUsd = options->budget;
    request.runs = options->runs;
    request.seed = options->seed;

    if (const auto errors = planner::validateRequest(request); !errors.empty()) {
      for (const auto& e : errors) err << "spotwise-cli plan: " << optionFor(e.field) << ": " << e.message << "\n";
      context.exitCode = 2;
      return;
    }
    // Your own preemptions per offer, from the job ledger, when there is one.
    int historyAttempts = 0;
    std::string historyFile;
    if (!options->noHistory) {
      const std::filesystem::path file = options->ledger.empty() ? jobs::defaultLedgerPath() : std::filesystem::path(options->ledger);
      if (!options->ledger.empty() || std::filesystem::exists(file)) {
        if (!std::filesystem::exists(file)) {
          err << "spotwise-cli plan: --ledger: " << file.string() << " does not exist\n";
          context.exitCode = 2;
          return;
        }
        auto opened = ledger::Ledger::open(file);
        const auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        auto observed = opened ? planner::ObservedHistory::fromLedger(**opened, nowMs) : Result<planner::ObservedHistory>(opened.error());
        if (!observed) {
          err << "spotwise-cli plan: " << observed.error().message << "\n";
          context.exitCode = 1;
          return;
        }
        historyAttempts = observed->attempts();
        historyFile = file.string();
        request.hazard.history = observed->hook();
      }
    }
    auto snapshot = pricing::embeddedSnapshot();
    if (!snapshot) {
      err << "spotwise-cli plan: " << snapshot.error().message << "\n";
      context.exitCode = 1;
      return;
    }
    auto offers = planner::candidateOffers(snapshot->offers, request);
    if (!options->provider.empty()) {
      const auto provider = pricing::parseProvider(options->provider);
      std::erase_if(offers, [&](const pricing::Offer& o) { return o.provider != provider; });
    }
    auto result = planner::planOffers(offers, request);
    if (!result) {
      err << "spotwise-cli plan: " << result.error().message << "\n";
      context.exitCode = 1;
      return;
    }
    for (const auto& s : result->skipped) err << "skipped " << planner::offerKey(s.offer) << ": " << s.reason << "\n";
    if (result->offers.empty()) {
      err << "spotwise-cli plan: none of the " << offers.size() << " offers could be planned\n";
      context.exitCode = 1;
      return;
    }
    if (options->asJson) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& p : result->offers) list.push_back(planJson(p));
      nlohmann::json skipped = nlohmann::json::array();
      for (const auto& s : result->skipped) skipped.push_back({{"offer", planner::offerKey(s.offer)}, {"reason", s.reason}});
      context.out << nlohmann::json{{"runsPerOffer", request.runs},
                                    {"seed", request.seed},
                                    {"risk", planner::riskPointId(request.hazard.risk)},
                                    {"history", historyFile.empty() ? nlohmann::json(nullptr)
                                                                    : nlohmann::json{{"ledger", historyFile}, {"spotAttempts", historyAttempts}}},
                                    {"pricesAsOf", formatIsoDateUtc(snapshot->oldestAsOf())},
                                    {"offers", list},
                                    {"skipped", skipped}}
                             .dump(2)
                      << "\n";
      return;
    }
    printTable(context.out, result->offers);
    bool assumed = false;
    for (const auto& p : result->offers) assumed = assumed || p.hazard.assumption;
    err << result->offers.size() << " offers ranked by expected cost over " << request.runs << " simulated runs each (seed "
        << request.seed << ", " << planner::riskPointId(request.hazard.risk) << " risk)\n";
    if (!historyFile.empty()) {
      err << "preemption history: " << historyAttempts << " spot attempt(s) in " << historyFile << "\n";
    }
    if (assumed) {
      err << "note: preemption rates marked \"assumed default\" are assumptions, not published figures; "
             "see `spotwise-cli plan --help`, or set your own with --rate\n";
    }
  });
}

}  // namespace spotwise::cli
