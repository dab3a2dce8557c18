#include <cstdio>
#include <fstream>
#include <iomanip>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/cli/CliContext.h"
#include "core/common/AtomicFile.h"
#include "core/common/Time.h"
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

void addPricesCommands(CLI::App& app, CliContext& context) {
  auto* prices = app.add_subcommand("prices", "List GPU offers with on-demand and spot prices");
  struct Options {
    std::string gpu, provider, region, fromDir, outFile;
    int count = 0;
    bool spot = false, asJson = false, asCsv = false;
  };
  auto options = std::make_shared<Options>();
  prices->add_option("--gpu", options->gpu, "GPU model, e.g. A100-80GB, H100, T4");
  prices->add_option("--provider", options->provider, "aws, gcp or azure")
      ->check(CLI::IsMember({"aws", "gcp", "azure"}, CLI::ignore_case));
  prices->add_option("--region", options->region, "Region code, e.g. us-east-1");
  prices->add_option("--count", options->count, "Exactly this many GPUs")->check(CLI::PositiveNumber);
  prices->add_flag("--spot", options->spot, "Only offers with a spot price");
  auto* jsonFlag = prices->add_flag("--json", options->asJson, "Print JSON");
  prices->add_flag("--csv", options->asCsv, "Print CSV")->excludes(jsonFlag);

  auto* snapshotCmd = prices->add_subcommand("snapshot", "Rebuild the price snapshot from recorded raw source files");
  snapshotCmd->add_option("--from", options->fromDir, "Folder with manifest.json and the raw files")
      ->required()
      ->check(CLI::ExistingDirectory);
  snapshotCmd->add_option("--out", options->outFile, "Write the snapshot here instead of standard output");

  snapshotCmd->callback([options, &context] {
    auto& out = context.out;
    auto& err = context.err;
    auto snapshot = pricing::buildSnapshotFromDirectory(options->fromDir);
    if (!snapshot) {
      err << "spotwise-cli: " << snapshot.error().message << "\n";
      context.exitCode = 1;
      return;
    }
    const std::string text = pricing::serializeSnapshot(*snapshot);
    if (options->outFile.empty()) {
      out << text;
      return;
    }
    // Never a half-written snapshot: a full disk or read-only folder leaves the old one intact.
    if (auto written = writeFileAtomically("WriteSnapshot", options->outFile, text); !written) {
      err << "spotwise-cli: " << written.error().message << "\n";
      context.exitCode = 1;
      return;
    }
    err << "wrote " << snapshot->offers.size() << " offers from " << snapshot->sources.size() << " sources to "
        << options->outFile << "\n";
  });

  prices->callback([snapshotCmd, options, &context] {
    if (snapshotCmd->parsed()) return;
    auto snapshot = pricing::embeddedSnapshot();
    if (!snapshot) {
      context.err << "spotwise-cli: " << snapshot.error().message << "\n";
      context.exitCode = 1;
      return;
    }
    pricing::OfferQuery query;
    query.gpuModel = options->gpu;
    query.region = options->region;
    if (!options->provider.empty()) query.provider = pricing::parseProvider(options->provider);
    if (options->count > 0) query.exactGpuCount = options->count;
    query.spotOnly = options->spot;
    const auto offers = pricing::selectOffers(snapshot->offers, query);
    if (options->asJson) {
      printJson(context.out, offers, *snapshot);
    } else if (options->asCsv) {
      printCsv(context.out, offers);
    } else {
      printTable(context.out, offers);
      context.err << offers.size() << " offers; prices as of " << formatIsoDateUtc(snapshot->oldestAsOf())
                  << " (embedded snapshot)\n";
    }
  });
}

}  // namespace spotwise::cli
