#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/cli/CliContext.h"
#include "core/common/AtomicFile.h"
#include "core/common/Time.h"
#include "core/http/CurlHttpClient.h"
#include "core/jobs/Runtime.h"
#include "core/pricing/LiveCatalog.h"
#include "core/pricing/OfferQuery.h"
#include "core/pricing/PriceRefresh.h"
#include "core/pricing/Snapshot.h"
#include "core/pricing/sources/Import.h"

namespace spotwise::cli {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> envValue(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}


/** --db, else $SPOTWISE_PRICES_DB, else ~/.local/share/spotwise/prices.sqlite; `explicitly` says whether the user named it. */
fs::path pricesDbPath(const std::string& option, bool* explicitly = nullptr) {
  if (explicitly) *explicitly = true;
  if (!option.empty()) return option;
  if (auto env = envValue("SPOTWISE_PRICES_DB")) return *env;
  if (explicitly) *explicitly = false;
  return jobs::defaultDataHome() / "prices.sqlite";
}

/** Reads SourceEndpoints fields from a JSON object file (mirrors, proxies, the test server). */
Result<pricing::sources::SourceEndpoints> readEndpoints(const std::string& file) {
  pricing::sources::SourceEndpoints e;
  if (file.empty()) return e;
  std::ifstream in(file);
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return makeError(ErrorCode::InvalidArgument, "--endpoints: " + file + " is not a JSON object");
  const std::pair<const char*, std::string*> fields[] = {
      {"awsRegionIndexUrl", &e.awsRegionIndexUrl}, {"awsOfferBase", &e.awsOfferBase},     {"awsSpotFeedUrl", &e.awsSpotFeedUrl},
      {"awsAdvisorUrl", &e.awsAdvisorUrl},         {"azureRetailUrl", &e.azureRetailUrl}, {"gcpBillingUrl", &e.gcpBillingUrl}};
  for (const auto& item : doc.items()) {
    // Named, not a structured binding: clang before 16 cannot capture a binding in the lambda.
    const std::string& key = item.key();
    const auto& value = item.value();
    const auto* field = std::ranges::find_if(fields, [&](const auto& f) { return key == f.first; });
    if (field == std::end(fields) || !value.is_string()) {
      return makeError(ErrorCode::InvalidArgument, "--endpoints: unknown or non-string field '" + key + "' in " + file);
    }
    *field->second = value.get<std::string>();
  }
  return e;
}

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

std::string asOf(const std::optional<pricing::Price>& price) { return price ? formatIso8601Utc(price->asOfUnix) : "-"; }

/** The interruption band as the Prices page's column shows it ("<5%", "5-10%"...), "-" where none is published. */
std::string band(const Offer& o) { return o.interruption ? o.interruption->label : "-"; }

/** When the oldest of the offer's prices is from (what the Prices page's "Price age" counts from). */
std::string oldestAsOf(const Offer& o) {
  std::optional<std::int64_t> oldest;
  for (const auto* p : {&o.onDemand, &o.spot}) {
    if (*p && (!oldest || (*p)->asOfUnix < *oldest)) oldest = (*p)->asOfUnix;
  }
  return oldest ? formatIso8601Utc(*oldest) : "-";
}

// The first columns of the table and the CSV; new columns go at the end, so scripts that read by position keep working.
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
constexpr std::size_t kFirstNumeric = 5;  // gpus ... savings_pct are right-aligned in the table

void printTable(std::ostream& out, const std::vector<Offer>& offers) {
  std::vector<std::string> header = kHeader;
  header.insert(header.end(), {"interruptions", "as_of"});
  std::vector<std::vector<std::string>> rows{header};
  for (const auto& o : offers) {
    auto cells = offerCells(o);
    cells.insert(cells.end(), {band(o), oldestAsOf(o)});
    rows.push_back(std::move(cells));
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool numeric = i >= kFirstNumeric && i < kHeader.size();
      const bool last = i + 1 == row.size();
      out << (numeric ? std::right : std::left) << std::setw(last && !numeric ? 0 : static_cast<int>(width[i])) << row[i]
          << (last ? "\n" : "  ");
    }
  }
}

void printCsv(std::ostream& out, const std::vector<Offer>& offers) {
  std::vector<std::string> header = kHeader;
  header.insert(header.end(), {"interruptions", "on_demand_source", "on_demand_as_of", "spot_source", "spot_as_of"});
  for (std::size_t i = 0; i < header.size(); ++i) out << header[i] << (i + 1 < header.size() ? "," : "\n");
  for (const auto& o : offers) {
    auto cells = offerCells(o);
    cells.insert(cells.end(), {band(o), o.onDemand ? o.onDemand->sourceId : "-", asOf(o.onDemand), o.spot ? o.spot->sourceId : "-",
                               asOf(o.spot)});
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
  auto bandJson = [](const std::optional<pricing::InterruptionBand>& b) -> nlohmann::json {
    if (!b) return nullptr;
    return {{"band", b->label},
            {"bandIndex", b->index},
            {"minMonthlyPercent", b->minMonthlyPercent},
            {"maxMonthlyPercent", b->maxMonthlyPercent},
            {"source", b->sourceId}};
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
                    {"spotAboveOnDemand", o.spotAboveOnDemand()},
                    {"interruption", bandJson(o.interruption)}});
  }
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : snapshot.sources) {
    sources.push_back({{"id", s.id}, {"description", s.description}, {"asOf", formatIso8601Utc(s.asOfUnix)}});
  }
  out << nlohmann::json{{"offers", list}, {"sources", sources}}.dump(2) << "\n";
}

void printImport(std::ostream& out, const pricing::sources::ParsedPrices& parsed, bool asJson, const std::string& format,
                 const std::string& file) {
  using pricing::sources::priceKindName;
  if (asJson) {
    nlohmann::json records = nlohmann::json::array();
    for (const auto& r : parsed.records) {
      nlohmann::json j{{"provider", pricing::providerId(r.provider)},
                       {"region", r.region},
                       {"zone", r.zone.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.zone)},
                       {"instanceType", r.instanceType},
                       {"kind", priceKindName(r.kind)},
                       {"usdPerHour", r.usdPerHour},
                       {"source", r.sourceId},
                       {"asOf", r.asOfUnix != 0 ? nlohmann::json(formatIso8601Utc(r.asOfUnix)) : nlohmann::json(nullptr)}};
      if (!r.gpuModel.empty()) j["gpuModel"] = r.gpuModel;
      if (r.gpuCount > 0) j["gpuCount"] = r.gpuCount;
      if (r.vcpus > 0) j["vcpus"] = r.vcpus;
      if (r.ramGiB > 0) j["ramGiB"] = r.ramGiB;
      records.push_back(std::move(j));
    }
    nlohmann::json bands = nlohmann::json::array();
    for (const auto& b : parsed.interruptions) {
      bands.push_back({{"provider", pricing::providerId(b.provider)},
                       {"region", b.region},
                       {"instanceType", b.instanceType},
                       {"band", b.band.label},
                       {"bandIndex", b.band.index},
                       {"minMonthlyPercent", b.band.minMonthlyPercent},
                       {"maxMonthlyPercent", b.band.maxMonthlyPercent},
                       {"savingsPercent", b.savingsPercent ? nlohmann::json(*b.savingsPercent) : nlohmann::json(nullptr)}});
    }
    out << nlohmann::json{{"format", format},
                          {"file", file},
                          {"itemsRead", parsed.itemsRead},
                          {"records", records},
                          {"interruptions", bands},
                          {"notes", parsed.notes},
                          {"warnings", parsed.warnings},
                          {"nextPage", parsed.nextPage.empty() ? nlohmann::json(nullptr) : nlohmann::json(parsed.nextPage)}}
                .dump(2)
        << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  if (!parsed.records.empty()) {
    rows.push_back({"provider", "region", "zone", "instance_type", "kind", "usd_h", "source", "as_of"});
    for (const auto& r : parsed.records) {
      char price[32];
      std::snprintf(price, sizeof price, "%.6f", r.usdPerHour);
      rows.push_back({std::string(pricing::providerId(r.provider)), r.region, r.zone.empty() ? "-" : r.zone, r.instanceType,
                      std::string(priceKindName(r.kind)), price, r.sourceId, r.asOfUnix ? formatIso8601Utc(r.asOfUnix) : "-"});
    }
  } else if (!parsed.interruptions.empty()) {
    rows.push_back({"provider", "region", "instance_type", "interruption", "savings_pct"});
    for (const auto& b : parsed.interruptions) {
      rows.push_back({std::string(pricing::providerId(b.provider)), b.region, b.instanceType, b.band.label,
                      b.savingsPercent ? std::to_string(*b.savingsPercent) : "-"});
    }
  }
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out << std::left << std::setw(static_cast<int>(width[i])) << row[i] << (i + 1 < row.size() ? "  " : "\n");
    }
  }
}

}  // namespace

void addPricesCommands(CLI::App& app, CliContext& context) {
  auto* prices = app.add_subcommand("prices", "List GPU offers with on-demand and spot prices");
  struct Options {
    std::string gpu, provider, region, fromDir, outFile, db;
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

  struct ImportOptions {
    std::string format, file, region, asOf;
    bool asJson = false;
  };
  auto importOptions = std::make_shared<ImportOptions>();
  auto* importCmd = prices->add_subcommand("import", "Parse one recorded raw price response and print its normalised records");
  std::vector<std::string> formats;
  for (auto f : pricing::sources::importFormats()) formats.emplace_back(f);
  importCmd->add_option("format", importOptions->format, "aws-offer, aws-spot-feed, aws-advisor, aws-spot-history, azure-retail or gcp-billing")
      ->required()
      ->check(CLI::IsMember(formats));
  importCmd->add_option("file", importOptions->file, "The raw response file")->required()->check(CLI::ExistingFile);
  importCmd->add_option("--region", importOptions->region, "Region the file is for (aws-spot-history, aws-offer without regionCode)");
  importCmd->add_option("--as-of", importOptions->asOf, "When the file was fetched (ISO 8601), if the file does not say");
  importCmd->add_flag("--json", importOptions->asJson, "Print JSON");
  importCmd->callback([importOptions, &context] {
    pricing::sources::ImportOptions settings;
    settings.region = importOptions->region;
    if (!importOptions->asOf.empty()) {
      const auto asOf = parseIso8601Utc(importOptions->asOf);
      if (!asOf) {
        context.err << "spotwise-cli: --as-of is not an ISO 8601 time: " << importOptions->asOf << "\n";
        context.exitCode = 2;
        return;
      }
      settings.asOfUnix = *asOf;
    }
    auto parsed = pricing::sources::importSourceFile(importOptions->format, importOptions->file, settings);
    if (!parsed) {
      context.err << "spotwise-cli: " << parsed.error().toString() << "\n";
      context.exitCode = 1;
      return;
    }
    printImport(context.out, *parsed, importOptions->asJson, importOptions->format, importOptions->file);
    if (!importOptions->asJson) {
      context.err << parsed->records.size() << " price records, " << parsed->interruptions.size() << " interruption bands from "
                  << parsed->itemsRead << " items";
      for (const auto& note : parsed->notes) context.err << "; " << note;
      if (!parsed->nextPage.empty()) context.err << "; next page: " << parsed->nextPage;
      context.err << "\n";
      for (const auto& warning : parsed->warnings) context.err << "warning: " << warning << "\n";
    }
  });

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

  struct RefreshOptions {
    std::string db, cacheDir, profile, gcpKeyFile, endpointsFile;
    std::vector<std::string> regions;
    bool noAwsApi = false, asJson = false;
  };
  auto refreshOptions = std::make_shared<RefreshOptions>();
  auto* refreshCmd = prices->add_subcommand(
      "refresh", "Fetch every live price source now and store it in the price history (what `prices` lists afterwards)");
  refreshCmd->footer(
      "\nCredentials: AWS from the usual chain (AWS_ACCESS_KEY_ID..., AWS_PROFILE, ~/.aws static keys, credential_process or "
      "role_arn + source_profile; --profile) enables the signed per-zone DescribeSpotPriceHistory source "
      "(AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL override its endpoint); a chain that fails fails that source, naming the step. "
      "The GCP Cloud Billing Catalog needs an API key: $SPOTWISE_GCP_API_KEY or --gcp-api-key-file (never on the command line, "
      "where other users and the shell history would see it). Without them those sources are skipped, and say so.");
  refreshCmd->add_option("--db", refreshOptions->db, "Price history file (default $SPOTWISE_PRICES_DB or ~/.local/share/spotwise/prices.sqlite)");
  refreshCmd->add_option("--cache", refreshOptions->cacheDir, "Folder for the AWS offer files and their ETags (default: beside --db)");
  refreshCmd->add_option("--profile", refreshOptions->profile, "AWS profile for the signed spot price history");
  refreshCmd->add_flag("--no-aws-api", refreshOptions->noAwsApi, "Do not use AWS credentials even if they exist");
  refreshCmd->add_option("--gcp-api-key-file", refreshOptions->gcpKeyFile, "File whose first line is the GCP Billing API key")
      ->check(CLI::ExistingFile);
  refreshCmd->add_option("--aws-regions", refreshOptions->regions, "AWS regions to fetch (default: the GPU regions)")->delimiter(',');
  refreshCmd->add_option("--endpoints", refreshOptions->endpointsFile, "JSON file overriding source URLs (mirrors, tests)")
      ->check(CLI::ExistingFile);
  refreshCmd->add_flag("--json", refreshOptions->asJson, "Print JSON");
  refreshCmd->callback([refreshOptions, &context] {
    auto& err = context.err;
    const auto& o = *refreshOptions;
    pricing::RefreshConfig config;
    auto endpoints = readEndpoints(o.endpointsFile);
    if (!endpoints) {
      err << "spotwise-cli prices refresh: " << endpoints.error().message << "\n";
      context.exitCode = 2;
      return;
    }
    config.endpoints = *endpoints;
    if (!o.regions.empty()) config.awsRegions = o.regions;
    const fs::path db = pricesDbPath(o.db);
    config.cacheDir = o.cacheDir.empty() ? db.parent_path() / "offer-cache" : fs::path(o.cacheDir);
    if (!o.gcpKeyFile.empty()) {
      std::ifstream in(o.gcpKeyFile);
      std::getline(in, config.gcpApiKey);
      while (!config.gcpApiKey.empty() && std::isspace(static_cast<unsigned char>(config.gcpApiKey.back()))) config.gcpApiKey.pop_back();
      if (config.gcpApiKey.empty()) {
        err << "spotwise-cli prices refresh: --gcp-api-key-file " << o.gcpKeyFile << " has no key on its first line\n";
        context.exitCode = 2;
        return;
      }
    } else if (auto key = envValue("SPOTWISE_GCP_API_KEY")) {
      config.gcpApiKey = *key;
    }
    // The AWS chain (a credential_process, an STS role) is resolved inside the refresh, on the
    // signed source's thread, as in the app: a chain that fails fails that source, naming why.
    if (!o.noAwsApi) config.resolveAws = pricing::awsChainResolver(envValue, o.profile.empty() ? std::nullopt : std::optional(o.profile));
    http::CurlHttpClient client;
    std::error_code ec;
    fs::create_directories(db.parent_path(), ec);
    auto history = pricing::PriceHistory::open(db);
    if (!history) {
      err << "spotwise-cli prices refresh: " << history.error().message << "\n";
      context.exitCode = 1;
      return;
    }
    const auto outcomes = pricing::refreshAll(client, config, {}, {});
    if (auto stored = pricing::storeRefresh(*history, outcomes); !stored) {
      err << "spotwise-cli prices refresh: " << stored.error().message << "\n";
      context.exitCode = 1;
      return;
    }
    bool failed = false;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& outcome : outcomes) {
      using State = pricing::SourceOutcome::State;
      failed = failed || outcome.state == State::Failed || outcome.state == State::Cancelled;
      const auto& parsed = outcome.result.parsed;
      if (o.asJson) {
        list.push_back({{"source", outcome.sourceId},
                        {"state", pricing::outcomeStateName(outcome.state)},
                        {"why", outcome.state == State::Fresh ? nlohmann::json(nullptr) : nlohmann::json(outcome.error.message)},
                        {"records", parsed.records.size()},
                        {"interruptionBands", parsed.interruptions.size()},
                        {"itemsRead", parsed.itemsRead},
                        {"warnings", parsed.warnings},
                        {"notModified", outcome.result.notModified},
                        {"fetchedAt", formatIso8601Utc(outcome.finishedUnix)}});
        continue;
      }
      context.out << std::left << std::setw(18) << outcome.sourceId << std::setw(10) << pricing::outcomeStateName(outcome.state);
      if (outcome.state == State::Fresh) {
        context.out << parsed.records.size() << " prices";
        if (!parsed.interruptions.empty()) context.out << ", " << parsed.interruptions.size() << " interruption bands";
        context.out << " from " << parsed.itemsRead << " items" << (outcome.result.notModified ? " (unchanged, cached)" : "");
        for (const auto& w : parsed.warnings) context.out << "\n  warning: " << w;
      } else {
        context.out << outcome.error.message;
      }
      context.out << "\n";
    }
    if (o.asJson) context.out << nlohmann::json{{"database", db.string()}, {"sources", list}}.dump(2) << "\n";
    err << "price history: " << db.string() << "\n";
    if (failed) context.exitCode = 1;
  });

  prices->add_option("--db", options->db, "Price history to list from (default $SPOTWISE_PRICES_DB or ~/.local/share/spotwise/prices.sqlite, when it exists)");
  prices->callback([snapshotCmd, importCmd, refreshCmd, options, &context] {
    if (snapshotCmd->parsed() || importCmd->parsed() || refreshCmd->parsed()) return;
    auto snapshot = pricing::embeddedSnapshot();
    if (!snapshot) {
      context.err << "spotwise-cli: " << snapshot.error().message << "\n";
      context.exitCode = 1;
      return;
    }
    // The price history of `prices refresh` (or the app's) overlays the embedded snapshot when there is one.
    bool named = false;
    const fs::path db = pricesDbPath(options->db, &named);
    bool live = false;
    if (named || fs::exists(db)) {
      auto history = pricing::PriceHistory::open(db);
      auto catalog = history ? pricing::assembleLiveCatalog(*history, *snapshot) : Result<pricing::LiveCatalog>(history.error());
      if (!catalog) {
        context.err << "spotwise-cli: price history " << db.string() << ": " << catalog.error().message << "\n";
        context.exitCode = 1;
        return;
      }
      live = catalog->sources.size() > snapshot->sources.size();
      snapshot->offers = std::move(catalog->offers);
      snapshot->sources = std::move(catalog->sources);
      snapshot->notes = std::move(catalog->notes);
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
                  << (live ? " (live prices from " + db.string() + " over the embedded snapshot)\n" : std::string(" (embedded snapshot)\n"));
    }
  });
}

}  // namespace spotwise::cli
