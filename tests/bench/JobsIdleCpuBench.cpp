// The desktop's idle CPU while it supervises 20 running jobs: the main window on the Jobs page, the
// controller polling on its worker thread with the product's settings (JobsPage::defaultRuntimeOptions:
// 10 s poll, ledger re-read every 2 s, 10 s agent heartbeats), 20 real Local jobs running the example
// workload. Measured: this process's CPU time (getrusage RUSAGE_SELF: every thread, no child process)
// over SPOTWISE_IDLE_SECONDS (default 60) of wall time, against the reference of the same window
// supervising no job, measured in the same run.
//   QT_QPA_PLATFORM=offscreen nice -n 19 build/dev/tests/bench/JobsIdleCpuBench
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>

#include "core/cloud/local/LocalProvider.h"
#include "ui/jobs/JobTableModel.h"
#include "ui/jobs/JobsPage.h"
#include "ui/mainwindow/MainWindow.h"

namespace {

namespace fs = std::filesystem;
using spotwise::ui::JobsPage;

double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int measureSeconds() {
  const char* env = std::getenv("SPOTWISE_IDLE_SECONDS");
  return env ? std::max(5, std::atoi(env)) : 60;
}

double g_referencePercent = -1;

void runIdle(benchmark::State& state, int jobCount) {
  QTemporaryDir dir;
  const fs::path root = fs::path(dir.path().toStdString()) / "local";
  auto options = JobsPage::defaultRuntimeOptions();
  options.ledgerPath = fs::path(dir.path().toStdString()) / "ledger.sqlite";
  options.providers.localRoot = root;
  for (auto _ : state) {
    {
      spotwise::ui::MainWindow window;
      window.resize(1200, 720);
      window.showPage(spotwise::ui::MainWindow::JobsPageIndex);
      JobsPage& page = *window.jobsPage();
      window.startSupervising(options);
      window.show();
      QTest::qWait(1000);  // start-up reconciliation
      for (int i = 0; i < jobCount; ++i) {
        auto spec = JobsPage::exampleSpec(root / "examples", root / "bucket");
        if (!spec) {
          state.SkipWithError(spec.error().message.c_str());
          return;
        }
        spec->name = "job-" + std::to_string(i + 1);
        spec->command = "python3 train.py --steps 100000 --step-seconds 0.5 --checkpoint-every 100";
        spec->budgetUsd = 100;
        page.launch(*spec);
      }
      const auto running = [&] {
        return static_cast<int>(std::ranges::count_if(page.model()->jobs(), [](const auto& r) { return r.state == "Running"; }));
      };
      if (!QTest::qWaitFor([&] { return running() == jobCount; }, 300'000)) {
        std::string states;
        for (const auto& r : page.model()->jobs()) {
          if (r.state != "Running") states += " " + r.name + ": " + r.state + " (" + r.message + ");";
        }
        state.SkipWithError(("only " + std::to_string(running()) + " jobs reached Running:" + states).c_str());
      } else {
        QTest::qWait(3000);  // past the burst of start-up polls
        const double cpu0 = cpuSeconds();
        QElapsedTimer wall;
        wall.start();
        QTest::qWait(measureSeconds() * 1000);
        const double cpu = cpuSeconds() - cpu0;
        const double seconds = static_cast<double>(wall.elapsed()) / 1000.0;
        state.SetIterationTime(seconds);
        state.counters["jobs_running"] = running();
        state.counters["cpu_ms_per_min"] = cpu / seconds * 60'000.0;
        state.counters["cpu_percent"] = cpu / seconds * 100.0;
        if (jobCount == 0) g_referencePercent = cpu / seconds * 100.0;
        if (jobCount > 0 && g_referencePercent > 0) state.counters["vs_no_jobs"] = cpu / seconds * 100.0 / g_referencePercent;
      }
    }
    // Nothing keeps running: every Local instance of this run is terminated.
    spotwise::cloud::local::LocalProviderOptions o;
    o.root = root;
    o.bucketRoot = root / "bucket";
    spotwise::cloud::local::LocalProvider provider(o);
    if (auto all = provider.compute().listByTag("", {}, {})) {
      std::vector<spotwise::cloud::InstanceRef> refs;
      for (const auto& i : *all) refs.push_back({i.region, i.id});
      (void)provider.compute().terminate(refs, {});
    }
  }
}

void BM_JobsPageIdle_NoJobs_Reference(benchmark::State& state) { runIdle(state, 0); }
void BM_JobsPageIdle_20LocalJobs(benchmark::State& state) { runIdle(state, 20); }

BENCHMARK(BM_JobsPageIdle_NoJobs_Reference)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_JobsPageIdle_20LocalJobs)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace

int main(int argc, char** argv) {
  QStandardPaths::setTestModeEnabled(true);
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
