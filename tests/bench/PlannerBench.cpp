// The planner's budget: 100,000 simulated runs for each of 500 offers in under 1 s on 2 cores.
// The same work on 1 thread and Daly's analytic model for the same offers are measured in the same run
// as references (the ratios say what the threads buy and what the simulation costs over the formula).
//   build/dev/tests/bench/PlannerBench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>
#include <vector>

#include "core/planner/Planner.h"
#include "core/pricing/Snapshot.h"

namespace {

using namespace spotwise;

constexpr std::size_t kOffers = 500;
constexpr int kRuns = 100000;

// Wall and process-CPU seconds of every pass, by thread count, for the verdict printed at the end.
struct Pass {
  double wall = 0;
  double cpu = 0;
};
std::vector<Pass> g_passes[3];

double processCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// 500 offers from the embedded catalog's spot offers, repeated with AWS-style bands 0–4 so that rates
// range from the calm "<5%" band to the conservative daily default (GCP, and offers left without a band).
const std::vector<pricing::Offer>& benchOffers() {
  static const std::vector<pricing::Offer> offers = [] {
    const auto snapshot = pricing::embeddedSnapshot();
    std::vector<pricing::Offer> spot;
    for (const auto& o : snapshot->offers) {
      if (o.spot) spot.push_back(o);
    }
    const pricing::InterruptionBand bands[] = {{0, "<5%", 0, 5, "bench"},    {1, "5-10%", 5, 10, "bench"},
                                               {2, "10-15%", 10, 15, "bench"}, {3, "15-20%", 15, 20, "bench"},
                                               {4, ">20%", 20, 100, "bench"}};
    std::vector<pricing::Offer> out;
    for (std::size_t i = 0; out.size() < kOffers; ++i) {
      pricing::Offer o = spot[i % spot.size()];
      o.zone += "-bench" + std::to_string(i);
      if (o.provider != pricing::CloudProvider::Gcp && i % 6 != 5) o.interruption = bands[i % 5];
      out.push_back(std::move(o));
    }
    return out;
  }();
  return offers;
}

planner::PlanRequest benchRequest() {
  planner::PlanRequest r;
  // The design's example, "about 40 hours on one A100, a checkpoint takes 2 minutes", on every machine:
  // 40 h of wall-clock work whatever its GPU count (steps × seconds per step are per machine).
  r.work.unit = planner::WorkUnit::Steps;
  r.work.steps = 36000;
  r.work.secondsPerStep = 4.0;
  r.checkpointMinutes = 2.0;
  r.runs = kRuns;
  return r;
}

void planRange(const planner::PlanRequest& request, std::atomic<std::size_t>& next, double& sink) {
  const auto& offers = benchOffers();
  double local = 0;
  for (std::size_t i = next++; i < offers.size(); i = next++) {
    auto plan = planner::planOffer(offers[i], request);
    if (plan) local += plan->expectedCostUsd();
  }
  sink = local;
}

void simulateAll(benchmark::State& state, int threads) {
  const auto request = benchRequest();
  benchOffers();
  for (auto _ : state) {
    const auto wallStart = std::chrono::steady_clock::now();
    const double cpuStart = processCpuSeconds();
    std::atomic<std::size_t> next{0};
    std::vector<double> sinks(static_cast<std::size_t>(threads), 0.0);
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) {
      workers.emplace_back(planRange, std::cref(request), std::ref(next), std::ref(sinks[static_cast<std::size_t>(t)]));
    }
    planRange(request, next, sinks[0]);
    for (auto& w : workers) w.join();
    benchmark::DoNotOptimize(sinks);
    g_passes[threads].push_back({std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count(),
                                 processCpuSeconds() - cpuStart});
  }
  state.counters["offers"] = static_cast<double>(kOffers);
  state.counters["runs/s"] = benchmark::Counter(static_cast<double>(kOffers) * kRuns * static_cast<double>(state.iterations()),
                                                benchmark::Counter::kIsRate);
}

void BM_MonteCarlo500Offers_2Threads(benchmark::State& state) { simulateAll(state, 2); }
void BM_MonteCarlo500Offers_1Thread_Reference(benchmark::State& state) { simulateAll(state, 1); }

void BM_Analytic500Offers_Reference(benchmark::State& state) {
  auto request = benchRequest();
  for (auto _ : state) {
    double sum = 0;
    for (const auto& offer : benchOffers()) {
      const auto hazard = planner::resolveHazard(offer, request.hazard);
      const double work = *planner::machineWorkHours(request.work, offer.gpuCount);
      const double c = request.checkpointMinutes / 60.0;
      const double r = planner::defaultRestartMinutes(offer.provider, request.image) / 60.0;
      const double tau = planner::recommendedInterval(work, c, r, hazard->ratePerHour, 1e300);
      sum += planner::expectedCompletionHours({work, tau, c, r}, hazard->ratePerHour) * offer.spot->usdPerHour;
    }
    benchmark::DoNotOptimize(sum);
  }
}

}  // namespace

BENCHMARK(BM_MonteCarlo500Offers_2Threads)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_MonteCarlo500Offers_1Thread_Reference)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_Analytic500Offers_Reference)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_passes[2].empty()) return 0;
  const auto best = *std::ranges::min_element(g_passes[2], {}, &Pass::wall);
  // Wall time is what the target is about; CPU time says what a quiet 2-core machine would give (CPU / 2).
  std::printf("\n100,000 runs x 500 offers on 2 threads: best wall %.0f ms (CPU %.0f ms, so %.0f ms with 2 idle cores); "
              "target < 1000 ms wall: %s\n",
              best.wall * 1e3, best.cpu * 1e3, best.cpu * 1e3 / 2, best.wall < 1.0 ? "met" : "MISSED on this machine now");
  return 0;
}
