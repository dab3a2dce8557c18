// App start to a populated Prices page, as real process starts: `spotwise --exit-when-shown` (the
// main window's first frame painted, with the embedded snapshot's offers in the Prices table, then
// quit) against an empty Qt Widgets window of the same size (StartupReference) and against the least a
// window like that first screen can be (StartupFloor: menu bar, sidebar and a table of plain text, no
// Spotwise code) and against that floor with the Prices page's controls (`StartupFloor --controls`),
// each started `--reps` times, interleaved, medians compared.
//
// Two display platforms: `offscreen` (no display server) always, and `xcb` on a real X server when
// Xvfb is installed (the bench starts its own on a free display): that is how users run the app.
// Target (issue 3): spotwise under 1.5× the empty window.
//   build/release/tests/bench/StartupBench [--reps N]
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Samples {
  std::vector<double> wall;
  std::vector<double> cpu;
};
/** Samples by platform, then by program ("empty", "floor", "page-floor", "spotwise"). */
std::map<std::string, std::map<std::string, Samples>> g_samples;

/**
 * Starts `program args...` and waits for it; seconds of wall time, or -1 when it failed. `cpuSeconds`
 * receives the child's user + system CPU time.
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

/** The environment a platform's starts run in. */
void usePlatform(const std::string& platform, const std::string& display) {
  ::setenv("QT_QPA_PLATFORM", platform.c_str(), 1);
  if (platform == "xcb") ::setenv("DISPLAY", display.c_str(), 1);
}

/**
 * An X server of our own (Xvfb), on the display number it picks; stopped by the destructor. -noreset:
 * by default the server resets when its last client leaves, and a start during the reset cannot connect.
 */
class XServer {
 public:
  XServer() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 3);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const char* argv[] = {"Xvfb", "-displayfd", "3", "-noreset", "-nolisten", "tcp", "-screen", "0", "1920x1080x24", nullptr};
    if (posix_spawnp(&m_pid, "Xvfb", &actions, nullptr, const_cast<char**>(argv), environ) != 0) m_pid = 0;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    // The number, then a newline, in writes of their own: read to the newline (Xvfb dies on a closed pipe).
    std::string number;
    char c = 0;
    while (m_pid != 0 && ::read(fds[0], &c, 1) == 1 && c != '\n') number += c;
    ::close(fds[0]);
    if (c == '\n' && !number.empty()) m_display = ":" + number;
  }
  ~XServer() {
    if (m_pid == 0) return;
    ::kill(m_pid, SIGTERM);
    ::waitpid(m_pid, nullptr, 0);
  }
  XServer(const XServer&) = delete;
  XServer& operator=(const XServer&) = delete;
  /** ":N", or empty when no X server could be started. */
  [[nodiscard]] const std::string& display() const { return m_display; }

 private:
  pid_t m_pid = 0;
  std::string m_display;
};

void registerStart(const std::string& platform, const std::string& display, const std::string& name,
                   std::vector<std::string> argv) {
  benchmark::RegisterBenchmark((platform + "/" + name).c_str(),
                               [platform, display, name, argv](benchmark::State& state) {
                                 usePlatform(platform, display);
                                 Samples& samples = g_samples[platform][name];
                                 for (auto _ : state) {
                                   double cpu = 0;
                                   const double seconds = timedRun(argv, &cpu);
                                   if (seconds < 0) {
                                     state.SkipWithError("the process failed (see stderr)");
                                     return;
                                   }
                                   state.SetIterationTime(seconds);
                                   samples.wall.push_back(seconds);
                                   samples.cpu.push_back(cpu);
                                   state.counters["cpu_ms"] = cpu * 1e3;
                                 }
                               })
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
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
  // A clean user: no stored prices, settings or window state of whoever runs it.
  const auto home = std::filesystem::temp_directory_path() / ("spotwise-startup-" + std::to_string(::getpid()));
  std::filesystem::create_directories(home);
  for (const char* var : {"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"}) {
    const auto dir = home / var;
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    ::setenv(var, dir.c_str(), 1);
  }
  const XServer xserver;
  std::vector<std::string> platforms{"offscreen"};
  if (!xserver.display().empty()) {
    platforms.emplace_back("xcb");
  } else {
    std::fprintf(stderr, "StartupBench: Xvfb could not be started, so only the offscreen platform is measured\n");
  }
  const std::vector<std::pair<std::string, std::vector<std::string>>> programs{
      {"empty", {SPOTWISE_STARTUP_REFERENCE}},
      {"floor", {SPOTWISE_STARTUP_FLOOR}},
      {"page-floor", {SPOTWISE_STARTUP_FLOOR, "--controls"}},
      {"spotwise", {SPOTWISE_GUI_BINARY, "--exit-when-shown"}}};
  // Warm every binary's pages into the cache once per platform, so none pays the first disk read.
  for (const auto& platform : platforms) {
    usePlatform(platform, xserver.display());
    for (const auto& [name, command] : programs) timedRun(command);
  }
  // Interleaved, one start per benchmark run, so machine load drifts hit all alike.
  for (int r = 0; r < reps; ++r) {
    for (const auto& platform : platforms) {
      for (const auto& [name, command] : programs) registerStart(platform, xserver.display(), name, command);
    }
  }
  int restc = static_cast<int>(rest.size());
  benchmark::Initialize(&restc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove_all(home);

  bool met = true;
  for (const auto& platform : platforms) {
    auto& byProgram = g_samples[platform];
    if (byProgram.empty()) continue;  // left out by --benchmark_filter
    for (const auto& [name, command] : programs) {
      if (byProgram[name].wall.size() < static_cast<std::size_t>(reps)) {
        std::fprintf(stderr, "StartupBench: %s failed on %s\n", name.c_str(), platform.c_str());
        return 1;
      }
    }
    const double empty = median(byProgram["empty"].wall);
    const double floor = median(byProgram["floor"].wall);
    const double pageFloor = median(byProgram["page-floor"].wall);
    const double app = median(byProgram["spotwise"].wall);
    const double ratio = app / empty;
    std::printf("\n%s, median of %d starts: spotwise to a painted, populated Prices page %.1f ms; empty Qt Widgets window %.1f ms; "
                "floor (menu, list, text table) %.1f ms; page floor (the floor and the Prices page's controls) %.1f ms\n",
                platform.c_str(), reps, app * 1e3, empty * 1e3, floor * 1e3, pageFloor * 1e3);
    std::printf("  spotwise / empty window %.2f (target < 1.5: %s); floor / empty %.2f; page floor / empty %.2f; spotwise / page floor %.2f\n",
                ratio, ratio < 1.5 ? "met" : "MISSED", floor / empty, pageFloor / empty, app / pageFloor);
    std::printf("  median CPU (user + system): spotwise %.1f ms, empty window %.1f ms, floor %.1f ms, page floor %.1f ms; spotwise / empty %.2f\n",
                median(byProgram["spotwise"].cpu) * 1e3, median(byProgram["empty"].cpu) * 1e3, median(byProgram["floor"].cpu) * 1e3,
                median(byProgram["page-floor"].cpu) * 1e3, median(byProgram["spotwise"].cpu) / median(byProgram["empty"].cpu));
    met = met && ratio < 1.5;
  }
  return met ? 0 : 2;
}
