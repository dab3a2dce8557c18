// Offer-file extraction: the streaming AWS offer parser vs a Python reference (json.load + the same
// selection) on a format-faithful offer file of at least 500 MB, generated at bench time in /tmp by
// scaling the real opencost us-east-2 excerpt (its three products, their OnDemand terms, plus
// Reserved terms, with new SKUs; a quarter of the compute products are Linux GPU machines).
// Time and peak RSS of each are measured in a child process (wait4 → ru_maxrss). Each child prints the
// number of prices it found; the bench fails (an error, and exit status 1) unless both found every price.
//   build/release/tests/bench/AwsOfferBench [--benchmark_filter=...]
//   SPOTWISE_OFFER_BENCH_MB=500 (default) sets the file size (e.g. 2 for a quick check of the bench itself).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <optional>
#include <string>

#include "core/pricing/sources/aws/AwsOffer.h"

namespace {

std::filesystem::path sourceDir() {
  const char* root = std::getenv("SPOTWISE_SOURCE_DIR");
  return root ? std::filesystem::path(root) : std::filesystem::current_path();
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/** The text between `open` (inclusive of what follows it) and the matching close brace of the object starting at `from`. */
std::string objectAt(const std::string& text, std::size_t from) {
  int depth = 0;
  bool inString = false;
  for (std::size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') inString = true;
    if (c == '{') ++depth;
    if (c == '}' && --depth == 0) return text.substr(from, i - from + 1);
  }
  return {};
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

struct Generated {
  std::filesystem::path path;
  std::uintmax_t bytes = 0;
  std::size_t expectedPrices = 0;
};

/** Writes the scaled offer file (once per process). */
const Generated& generated() {
  static const Generated file = [] {
    const std::string excerpt = readFile(sourceDir() / "tests/data/pricing/aws/opencost_provider_test_AmazonEC2_us-east-2_excerpt.json");
    const std::string gpuProduct = objectAt(excerpt, excerpt.find('{', excerpt.find("\"9ZEEN7WWWQKAG292\" :")));
    const std::string cpuProduct = objectAt(excerpt, excerpt.find('{', excerpt.find("\"8D49XP354UEYTHGM\" :")));
    const std::string storageProduct = objectAt(excerpt, excerpt.find('{', excerpt.find("\"M6UGCCQ3CDJQAA37\" :")));
    const std::size_t termsAt = excerpt.find("\"terms\"");
    const std::string gpuTerm = objectAt(excerpt, excerpt.find('{', excerpt.find("\"9ZEEN7WWWQKAG292.JRTCKXETXF\" :", termsAt)));
    const std::string reservedTerm = objectAt(excerpt, excerpt.find('{', excerpt.find("\"8D49XP354UEYTHGM.MZU6U2429S\" :", termsAt)));
    const std::string head = excerpt.substr(0, excerpt.find("\"products\""));

    const char* mbText = std::getenv("SPOTWISE_OFFER_BENCH_MB");
    const std::uintmax_t target = static_cast<std::uintmax_t>(mbText ? std::atoi(mbText) : 500) * 1000 * 1000;
    Generated out;
    out.path = std::filesystem::temp_directory_path() / ("spotwise-offer-bench-" + std::to_string(getpid()) + ".json");
    std::ofstream f(out.path, std::ios::binary);
    f << head << "\"products\" : {\n";
    // Products: cycle GPU-Linux, GPU-Windows-BYOL (as in the excerpt), CPU, storage.
    const std::string linuxGpu = replaceAll(replaceAll(replaceAll(gpuProduct, "\"Windows\"", "\"Linux\""), "\"Bring your own license\"",
                                                       "\"No License required\""),
                                            "RunInstances:0800", "RunInstances");
    std::size_t n = 0;
    std::uintmax_t written = head.size();
    const std::uintmax_t productBudget = target / 2;
    std::vector<std::string> skus;
    while (written < productBudget) {
      char sku[17];
      std::snprintf(sku, sizeof sku, "SKU%013zu", n);
      const std::string& base = (n % 4 == 0) ? linuxGpu : (n % 4 == 1) ? gpuProduct : (n % 4 == 2) ? cpuProduct : storageProduct;
      std::string product = replaceAll(replaceAll(replaceAll(replaceAll(base, "9ZEEN7WWWQKAG292", sku), "8D49XP354UEYTHGM", sku),
                                                  "M6UGCCQ3CDJQAA37", sku),
                                       "p3.8xlarge", "p3.8xlarge");
      const std::string entry = (n ? ",\n\"" : "\"") + std::string(sku) + "\" : " + product;
      f << entry;
      written += entry.size();
      if (n % 4 == 0) ++out.expectedPrices;
      skus.emplace_back(sku);
      ++n;
    }
    f << "\n},\n\"terms\" : {\n\"OnDemand\" : {\n";
    for (std::size_t i = 0; i < skus.size(); ++i) {
      const std::string term = replaceAll(gpuTerm, "9ZEEN7WWWQKAG292", skus[i]);
      f << (i ? ",\n\"" : "\"") << skus[i] << "\" : { \"" << skus[i] << ".JRTCKXETXF\" : " << term << " }";
      written += term.size() + 60;
    }
    f << "\n},\n\"Reserved\" : {\n";
    for (std::size_t i = 0; written < target; ++i) {
      const std::string& sku = skus[i % skus.size()];
      const std::string term = replaceAll(reservedTerm, "8D49XP354UEYTHGM", sku);
      f << (i ? ",\n\"" : "\"") << sku << "#" << i << "\" : { \"" << sku << ".MZU6U2429S\" : " << term << " }";
      written += term.size() + 60;
    }
    f << "\n}\n},\n\"attributesList\" : { }\n}\n";
    f.close();
    out.bytes = std::filesystem::file_size(out.path);
    static const std::string* toRemove = new std::string(out.path.string());  // outlives static destruction
    std::atexit([] { std::remove(toRemove->c_str()); });
    return out;
  }();
  return file;
}

struct ChildRun {
  double seconds = 0;
  double peakRssMb = 0;
  int status = -1;
  std::string output;  ///< what the child wrote to its standard output
};

/** Runs `work` in a forked child, its standard output read through a pipe; wall time and the child's peak RSS. */
template <typename Work>
ChildRun inChild(Work work) {
  int pipeFds[2];
  if (pipe(pipeFds) != 0) return {};
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipeFds[0]);
    dup2(pipeFds[1], STDOUT_FILENO);
    close(pipeFds[1]);
    _exit(work());
  }
  close(pipeFds[1]);
  ChildRun run;
  char buffer[256];
  for (ssize_t n; (n = read(pipeFds[0], buffer, sizeof buffer)) > 0;) run.output.append(buffer, static_cast<std::size_t>(n));
  close(pipeFds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.peakRssMb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

/** The price count a child printed (its only output line), if it printed one. */
std::optional<std::size_t> printedCount(const std::string& output) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(output.c_str(), &end, 10);
  if (end == output.c_str() || (*end != '\0' && *end != '\n')) return std::nullopt;
  return static_cast<std::size_t>(n);
}

ChildRun g_streaming, g_python;
std::optional<std::size_t> g_streamingPrices;
bool g_failed = false;  // a count that does not match: the process exits 1 (SkipWithError alone leaves it 0)

void fail(benchmark::State& state, const std::string& why) {
  g_failed = true;
  std::fprintf(stderr, "AwsOfferBench: %s\n", why.c_str());
  state.SkipWithError(why.c_str());
}

void BM_AwsOfferStreaming(benchmark::State& state) {
  const auto& file = generated();
  for (auto _ : state) {
    g_streaming = inChild([&] {
      std::ifstream in(file.path, std::ios::binary);
      auto parsed = spotwise::pricing::sources::parseAwsOfferFile(in);
      if (!parsed) return 1;
      std::printf("%zu\n", parsed->records.size());
      return std::fflush(stdout) == 0 ? 0 : 1;
    });
    g_streamingPrices = g_streaming.status == 0 ? printedCount(g_streaming.output) : std::nullopt;
    if (!g_streamingPrices) {
      fail(state, "the streaming parser failed (status " + std::to_string(g_streaming.status) + ")");
      break;
    }
    if (*g_streamingPrices != file.expectedPrices) {
      fail(state, "the streaming parser found " + std::to_string(*g_streamingPrices) + " prices, the file has " +
                      std::to_string(file.expectedPrices));
      break;
    }
    state.SetIterationTime(g_streaming.seconds);
  }
  state.counters["file_MB"] = static_cast<double>(file.bytes) / 1e6;
  state.counters["peak_RSS_MB"] = g_streaming.peakRssMb;
  state.counters["prices"] = static_cast<double>(file.expectedPrices);
  state.SetBytesProcessed(static_cast<int64_t>(file.bytes) * state.iterations());
}

void BM_PythonJsonLoad_Reference(benchmark::State& state) {
  const auto& file = generated();
  const std::string script = (sourceDir() / "tests/bench/aws_offer_reference.py").string();
  for (auto _ : state) {
    g_python = inChild([&] {
      execlp("python3", "python3", script.c_str(), file.path.c_str(), static_cast<char*>(nullptr));
      return 127;
    });
    const auto pythonPrices = g_python.status == 0 ? printedCount(g_python.output) : std::nullopt;
    if (!pythonPrices) {
      fail(state, "python3 reference failed (status " + std::to_string(g_python.status) + ")");
      break;
    }
    // The reference must have extracted the same prices: the same count as the C++ parser (when it ran) and the file.
    const std::size_t expected = g_streamingPrices.value_or(file.expectedPrices);
    if (*pythonPrices != expected || *pythonPrices != file.expectedPrices) {
      fail(state, "the python reference found " + std::to_string(*pythonPrices) + " prices, the streaming parser " +
                      (g_streamingPrices ? std::to_string(*g_streamingPrices) : std::string("(not run)")) + ", the file has " +
                      std::to_string(file.expectedPrices));
      break;
    }
    state.SetIterationTime(g_python.seconds);
  }
  state.counters["file_MB"] = static_cast<double>(file.bytes) / 1e6;
  state.counters["peak_RSS_MB"] = g_python.peakRssMb;
  state.counters["speedup_vs_python"] = g_streaming.seconds > 0 ? g_python.seconds / g_streaming.seconds : 0;
  state.SetBytesProcessed(static_cast<int64_t>(file.bytes) * state.iterations());
}

BENCHMARK(BM_AwsOfferStreaming)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PythonJsonLoad_Reference)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return g_failed ? 1 : 0;
}
