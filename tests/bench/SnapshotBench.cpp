// What the app pays at start-up for its offline prices: parsing the embedded snapshot into offers,
// against the reference of parsing the same JSON text alone (nlohmann_json, no model building),
// and the importer that rebuilds the snapshot from the raw catalogs.
//   build/dev/tests/bench/SnapshotBench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/pricing/SkyPilotImporter.h"
#include "core/pricing/Snapshot.h"

namespace spotwise::pricing {
std::string_view embeddedSnapshotJson();
}

namespace {

std::string readRaw(const char* name) {
  const char* root = std::getenv("SPOTWISE_SOURCE_DIR");
  std::ifstream in(std::filesystem::path(root ? root : ".") / "resources/pricing/raw" / name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void BM_JsonParseOnly_Reference(benchmark::State& state) {
  const auto text = spotwise::pricing::embeddedSnapshotJson();
  for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_EmbeddedSnapshot(benchmark::State& state) {
  const auto text = spotwise::pricing::embeddedSnapshotJson();
  for (auto _ : state) benchmark::DoNotOptimize(spotwise::pricing::embeddedSnapshot());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_ImportSkyPilotAws(benchmark::State& state) {
  const std::string csv = readRaw("skypilot-v8-aws-vms.csv");
  for (auto _ : state) {
    benchmark::DoNotOptimize(spotwise::pricing::importSkyPilotCatalog(csv, {spotwise::pricing::CloudProvider::Aws, "b", 0}));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * csv.size()));
}

}  // namespace

BENCHMARK(BM_JsonParseOnly_Reference);
BENCHMARK(BM_EmbeddedSnapshot);
BENCHMARK(BM_ImportSkyPilotAws);
BENCHMARK_MAIN();
