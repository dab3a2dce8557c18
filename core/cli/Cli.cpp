#include "core/cli/Cli.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/common/Time.h"
#include "core/common/Version.h"
#include "core/pricing/OfferQuery.h"
#include "core/pricing/Snapshot.h"

namespace spotwise::cli {

namespace {

using pricing::Offer;

std::string money(const std::optional<pricing::Price>& price) {
  if (!price) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", price->usdPerHour);
  return buf;
}

std::string number(double value, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::vector<std::string> offerCells(const Offer& o) {
  const auto savings = o.savingsPercent();
  return {std::string(pricing::providerId(o.provider)),
          o.region,
          o.zone,
          o.instanceType,
          o.gpuModel,
          std::to_string(o.gpuCount),
          number(o.vcpus, 0),
          number(o.ramGiB, 0),
          money(o.onDemand),
          money(o.spot),
          savings ? number(*savings, 1) : "-"};
}

const std::vector<std::string> kHeader{"provider", "region", "zone", "instance_type", "gpu", "gpus", "vcpus",
                                       "ram_gib", "on_demand_usd_h", "spot_usd_h", "savings_pct"};

void printTable(std::ostream& out, const std::vector<Offer>& offers) {
  std::vector<std::vector<std::string>> rows{kHeader};
  for (const auto& o : offers) rows.push_back(offerCells(o));
  std::vector<std::size_t> width(kHeader.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool numeric = i >= 5;
      out << (numeric ? std::right : std::left) << std::setw(static_cast<int>(width[i])) << row[i]
          << (i + 1 < row.size() ? "  " : "\n");
    }
  }
}

void printCsv(std::ostream& out, const std::vector<Offer>& offers) {
  for (std::size_t i = 0; i < kHeader.size(); ++i) out << kHeader[i] << (i + 1 < kHeader.size() ? "," : "\n");
  for (const auto& o : offers) {
    const auto cells = offerCells(o);
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::string& cell = (cells[i] == "-") ? std::string() : cells[i];
      out << csvField(cell) << (i + 1 < cells.size() ? "," : "\n");
    }
  }
}

void printJson(std::ostream& out, const std::vector<Offer>& offers, const pricing::Snapshot& snapshot) {
  nlohmann::json list = nlohmann::json::array();
  auto priceJson = [&](const std::optional<pricing::Price>& p) -> nlohmann::json {
    if (!p) return nullptr;
    return {{"usdPerHour", p->usdPerHour}, {"source", p->sourceId}, {"asOf", formatIso8601Utc(p->asOfUnix)}};
  };
  for (const auto& o : offers) {
    const auto savings = o.savingsPercent();
    list.push_back({{"provider", pricing::providerId(o.provider)},
                    {"region", o.region},
                    {"zone", o.zone.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.zone)},
                    {"instanceType", o.instanceType},
                    {"gpuModel", o.gpuModel},
                    {"gpuCount", o.gpuCount},
                    {"gpuMemoryGiB", o.gpuMemoryGiB},
                    {"vcpus", o.vcpus},
                    {"ramGiB", o.ramGiB},
                    {"onDemand", priceJson(o.onDemand)},
                    {"spot", priceJson(o.spot)},
                    {"savingsPercent", savings ? nlohmann::json(*savings) : nlohmann::json(nullptr)},
                    {"spotAboveOnDemand", o.spotAboveOnDemand()}});
  }
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : snapshot.sources) {
    sources.push_back({{"id", s.id}, {"description", s.description}, {"asOf", formatIso8601Utc(s.asOfUnix)}});
  }
  out << nlohmann::json{{"offers", list}, {"sources", sources}}.dump(2) << "\n";
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"Spotwise: compare, plan and run ML training on spot GPUs", "spotwise-cli"};
  app.set_version_flag("--version", std::string("spotwise-cli ") + kVersion);
  app.require_subcommand(1);

  auto* prices = app.add_subcommand("prices", "List GPU offers with on-demand and spot prices");
  std::string gpu, provider, region;
  int count = 0;
  bool spot = false, asJson = false, asCsv = false;
  prices->add_option("--gpu", gpu, "GPU model, e.g. A100-80GB, H100, T4");
  prices->add_option("--provider", provider, "aws, gcp or azure")->check(CLI::IsMember({"aws", "gcp", "azure"}, CLI::ignore_case));
  prices->add_option("--region", region, "Region code, e.g. us-east-1");
  prices->add_option("--count", count, "Exactly this many GPUs")->check(CLI::PositiveNumber);
  prices->add_flag("--spot", spot, "Only offers with a spot price");
  auto* jsonFlag = prices->add_flag("--json", asJson, "Print JSON");
  prices->add_flag("--csv", asCsv, "Print CSV")->excludes(jsonFlag);

  auto* snapshotCmd = prices->add_subcommand("snapshot", "Rebuild the price snapshot from recorded raw source files");
  std::string fromDir, outFile;
  snapshotCmd->add_option("--from", fromDir, "Folder with manifest.json and the raw files")->required()->check(CLI::ExistingDirectory);
  snapshotCmd->add_option("--out", outFile, "Write the snapshot here instead of standard output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version "fail" with exit code 0; every real parse error is a usage error (2).
    return app.exit(e, out, err) == 0 ? 0 : 2;
  }

  if (snapshotCmd->parsed()) {
    auto snapshot = pricing::buildSnapshotFromDirectory(fromDir);
    if (!snapshot) {
      err << "spotwise-cli: " << snapshot.error().message << "\n";
      return 1;
    }
    const std::string text = pricing::serializeSnapshot(*snapshot);
    if (outFile.empty()) {
      out << text;
    } else {
      std::ofstream file(outFile, std::ios::binary | std::ios::trunc);
      file << text;
      if (!file.flush()) {
        err << "spotwise-cli: cannot write " << outFile << "\n";
        return 1;
      }
      err << "wrote " << snapshot->offers.size() << " offers from " << snapshot->sources.size() << " sources to "
          << outFile << "\n";
    }
    return 0;
  }

  auto snapshot = pricing::embeddedSnapshot();
  if (!snapshot) {
    err << "spotwise-cli: " << snapshot.error().message << "\n";
    return 1;
  }
  pricing::OfferQuery query;
  query.gpuModel = gpu;
  query.region = region;
  if (!provider.empty()) query.provider = pricing::parseProvider(provider);
  if (count > 0) query.exactGpuCount = count;
  query.spotOnly = spot;
  const auto offers = pricing::selectOffers(snapshot->offers, query);
  if (asJson) {
    printJson(out, offers, *snapshot);
  } else if (asCsv) {
    printCsv(out, offers);
  } else {
    printTable(out, offers);
    err << offers.size() << " offers; prices as of " << formatIsoDateUtc(snapshot->oldestAsOf())
        << " (embedded snapshot)\n";
  }
  return 0;
}

}  // namespace spotwise::cli
