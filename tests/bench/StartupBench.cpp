// App start to a populated Prices page, as real process starts: `spotwise --exit-when-shown` (the
// main window shown with the embedded snapshot's offers in the Prices table, then quit) against an
// empty Qt Widgets window of the same size (StartupReference), both offscreen, each started
// `--repetitions` times, interleaved. Target (issue 3): spotwise under 1.5× the reference (medians).
//   build/release/tests/bench/StartupBench [--reps N]
#include <benchmark/benchmark.h>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::vector<double> g_app, g_appCpu;
std::vector<double> g_reference, g_referenceCpu;

/**
 * Starts `program args...` and waits for it; seconds of wall time, or -1 when it failed. `cpuSeconds`
 * (when given) receives the child's user + system CPU time.
 */
double timedRun(const std::vector<std::string>& argv, double* cpuSeconds = nullptr) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) return -1;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s exited with status %d\n", args[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
  }
  if (cpuSeconds) {
    *cpuSeconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  return seconds;
}

void record(benchmark::State& state, const std::vector<std::string>& argv, std::vector<double>& into,
            std::vector<double>& cpuInto) {
  for (auto _ : state) {
    double cpu = 0;
    const double seconds = timedRun(argv, &cpu);
    if (seconds < 0) {
      state.SkipWithError("the process failed (see stderr)");
      return;
    }
    state.SetIterationTime(seconds);
    into.push_back(seconds);
    cpuInto.push_back(cpu);
    state.counters["cpu_ms"] = cpu * 1e3;
  }
}

void BM_EmptyWindowStart(benchmark::State& state) { record(state, {SPOTWISE_STARTUP_REFERENCE}, g_reference, g_referenceCpu); }
void BM_SpotwiseToPopulatedPrices(benchmark::State& state) {
  record(state, {SPOTWISE_GUI_BINARY, "--exit-when-shown"}, g_app, g_appCpu);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 15;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      reps = std::max(3, std::atoi(argv[++i]));
    } else {
      rest.push_back(argv[i]);
    }
  }
  // A clean user: no stored prices, settings or window state of whoever runs it; offscreen.
  const auto home = std::filesystem::temp_directory_path() / ("spotwise-startup-" + std::to_string(::getpid()));
  std::filesystem::create_directories(home);
  for (const char* var : {"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"}) {
    const auto dir = home / var;
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    ::setenv(var, dir.c_str(), 1);
  }
  ::setenv("QT_QPA_PLATFORM", "offscreen", 0);
  // Warm both binaries' pages into the cache once, so neither pays the first disk read.
  timedRun({SPOTWISE_STARTUP_REFERENCE});
  timedRun({SPOTWISE_GUI_BINARY, "--exit-when-shown"});
  // Interleaved, one start per benchmark run, so machine load drifts hit both alike.
  for (int r = 0; r < reps; ++r) {
    benchmark::RegisterBenchmark("EmptyWindowStart", BM_EmptyWindowStart)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("SpotwiseToPopulatedPrices", BM_SpotwiseToPopulatedPrices)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
  int restc = static_cast<int>(rest.size());
  benchmark::Initialize(&restc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove_all(home);
  if (g_app.size() < static_cast<std::size_t>(reps) || g_reference.size() < static_cast<std::size_t>(reps)) {
    std::fprintf(stderr, "StartupBench: a process failed\n");
    return 1;
  }
  const double app = median(g_app);
  const double reference = median(g_reference);
  const double ratio = app / reference;
  std::printf("\nmedian of %d starts: spotwise to populated Prices page %.1f ms, empty Qt Widgets window %.1f ms, ratio %.2f "
              "(target < 1.5): %s\n",
              reps, app * 1e3, reference * 1e3, ratio, ratio < 1.5 ? "met" : "MISSED");
  std::printf("median CPU time (user + system) per start: spotwise %.1f ms, empty window %.1f ms, ratio %.2f\n",
              median(g_appCpu) * 1e3, median(g_referenceCpu) * 1e3, median(g_appCpu) / median(g_referenceCpu));
  return ratio < 1.5 ? 0 : 2;
}
