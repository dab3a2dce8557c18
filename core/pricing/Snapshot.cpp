#include "core/pricing/Snapshot.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/common/Time.h"
#include "core/pricing/Catalog.h"
#include "core/pricing/SkyPilotImporter.h"
#include "core/pricing/sources/Import.h"

namespace spotwise::pricing {

std::string_view embeddedSnapshotJson();  // generated from resources/pricing/snapshot.json

namespace {

using nlohmann::json;
constexpr std::string_view kFormat = "spotwise-snapshot/1";

json priceToJson(const Price& price) { return json{{"usdPerHour", price.usdPerHour}, {"source", price.sourceId}}; }

void sortOffers(std::vector<Offer>& offers) {
  std::ranges::sort(offers, [](const Offer& a, const Offer& b) {
    return std::tie(a.provider, a.gpuModel, a.gpuCount, a.instanceType, a.region, a.zone) <
           std::tie(b.provider, b.gpuModel, b.gpuCount, b.instanceType, b.region, b.zone);
  });
}

Result<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorCode::NotFound, "cannot open " + path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return makeError(ErrorCode::DataLoss, "error reading " + path.string());
  return buffer.str();
}

}  // namespace

std::int64_t Snapshot::oldestAsOf() const {
  std::int64_t oldest = 0;
  for (const auto& s : sources) {
    if (s.interruptionsOnly) continue;
    if (oldest == 0 || (s.asOfUnix != 0 && s.asOfUnix < oldest)) oldest = s.asOfUnix;
  }
  return oldest;
}

const PriceSource* Snapshot::source(std::string_view id) const {
  const auto it = std::ranges::find(sources, id, &PriceSource::id);
  return it == sources.end() ? nullptr : &*it;
}

std::string serializeSnapshot(const Snapshot& snapshot) {
  json root;
  root["format"] = kFormat;
  root["createdAt"] = formatIso8601Utc(snapshot.createdUnix);
  root["sources"] = json::array();
  for (const auto& s : snapshot.sources) {
    json j{{"id", s.id},
           {"provider", providerId(s.provider)},
           {"description", s.description},
           {"url", s.url},
           {"revision", s.revision},
           {"asOf", formatIso8601Utc(s.asOfUnix)}};
    if (s.interruptionsOnly) j["kind"] = "interruptions";
    root["sources"].push_back(std::move(j));
  }
  root["notes"] = snapshot.notes;
  root["offers"] = json::array();
  for (const auto& o : snapshot.offers) {
    json j{{"provider", providerId(o.provider)},
           {"region", o.region},
           {"instanceType", o.instanceType},
           {"gpuModel", o.gpuModel},
           {"gpuCount", o.gpuCount},
           {"gpuMemoryGiB", o.gpuMemoryGiB},
           {"vcpus", o.vcpus},
           {"ramGiB", o.ramGiB}};
    if (!o.zone.empty()) j["zone"] = o.zone;
    if (o.onDemand) j["onDemand"] = priceToJson(*o.onDemand);
    if (o.spot) j["spot"] = priceToJson(*o.spot);
    if (o.interruption) {
      j["interruption"] = {{"index", o.interruption->index},
                           {"label", o.interruption->label},
                           {"minMonthlyPercent", o.interruption->minMonthlyPercent},
                           {"maxMonthlyPercent", o.interruption->maxMonthlyPercent},
                           {"source", o.interruption->sourceId}};
    }
    root["offers"].push_back(std::move(j));
  }
  return root.dump(1) + "\n";
}

Result<Snapshot> parseSnapshot(std::string_view text) {
  constexpr std::string_view kOp = "ReadSnapshot: ";
  const json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return makeError(ErrorCode::DataLoss, std::string(kOp) + "not valid JSON (truncated?)");
  if (!root.is_object() || root.value("format", "") != kFormat) {
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "not a " + std::string(kFormat) + " document");
  }
  Snapshot snapshot;
  try {
    const auto created = parseIso8601Utc(root.at("createdAt").get<std::string>());
    if (!created) return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "createdAt is not an ISO 8601 time");
    snapshot.createdUnix = *created;
    for (const auto& s : root.at("sources")) {
      PriceSource source;
      source.id = s.at("id").get<std::string>();
      const auto provider = parseProvider(s.at("provider").get<std::string>());
      const auto asOf = parseIso8601Utc(s.at("asOf").get<std::string>());
      if (!provider || !asOf) {
        return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "source '" + source.id + "': bad provider or asOf");
      }
      source.provider = *provider;
      source.asOfUnix = *asOf;
      source.description = s.value("description", "");
      source.url = s.value("url", "");
      source.revision = s.value("revision", "");
      source.interruptionsOnly = s.value("kind", "") == "interruptions";
      snapshot.sources.push_back(std::move(source));
    }
    snapshot.notes = root.value("notes", std::vector<std::string>{});
    const auto& offers = root.at("offers");
    snapshot.offers.reserve(offers.size());
    for (std::size_t i = 0; i < offers.size(); ++i) {
      const auto& j = offers[i];
      const std::string where = std::string(kOp) + "offer " + std::to_string(i) + ": ";
      Offer o;
      const auto provider = parseProvider(j.at("provider").get<std::string>());
      if (!provider) return makeError(ErrorCode::InvalidArgument, where + "unknown provider");
      o.provider = *provider;
      o.region = j.at("region").get<std::string>();
      o.zone = j.value("zone", "");
      o.instanceType = j.at("instanceType").get<std::string>();
      o.gpuModel = j.at("gpuModel").get<std::string>();
      o.gpuCount = j.at("gpuCount").get<int>();
      o.gpuMemoryGiB = j.at("gpuMemoryGiB").get<double>();
      o.vcpus = j.at("vcpus").get<double>();
      o.ramGiB = j.at("ramGiB").get<double>();
      for (const auto& [key, slot] : {std::pair{"onDemand", &o.onDemand}, std::pair{"spot", &o.spot}}) {
        if (!j.contains(key)) continue;
        Price price;
        price.usdPerHour = j[key].at("usdPerHour").get<double>();
        price.sourceId = j[key].at("source").get<std::string>();
        const PriceSource* source = snapshot.source(price.sourceId);
        if (!source) return makeError(ErrorCode::InvalidArgument, where + "unknown source '" + price.sourceId + "'");
        if (price.usdPerHour < 0) return makeError(ErrorCode::InvalidArgument, where + "negative price");
        price.asOfUnix = source->asOfUnix;
        *slot = std::move(price);
      }
      if (j.contains("interruption")) {
        const auto& b = j["interruption"];
        InterruptionBand band;
        band.index = b.at("index").get<int>();
        band.label = b.at("label").get<std::string>();
        band.minMonthlyPercent = b.at("minMonthlyPercent").get<double>();
        band.maxMonthlyPercent = b.at("maxMonthlyPercent").get<double>();
        band.sourceId = b.at("source").get<std::string>();
        if (!snapshot.source(band.sourceId)) {
          return makeError(ErrorCode::InvalidArgument, where + "unknown interruption source '" + band.sourceId + "'");
        }
        o.interruption = std::move(band);
      }
      if (o.gpuCount <= 0 || o.instanceType.empty() || o.region.empty()) {
        return makeError(ErrorCode::InvalidArgument, where + "missing instance type, region or GPU count");
      }
      snapshot.offers.push_back(std::move(o));
    }
  } catch (const json::exception& e) {
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "missing or mistyped field: " + e.what());
  }
  return snapshot;
}

Result<Snapshot> embeddedSnapshot() {
  auto snapshot = parseSnapshot(embeddedSnapshotJson());
  if (!snapshot) return makeError(ErrorCode::Internal, "embedded snapshot: " + snapshot.error().message);
  return snapshot;
}

Result<Snapshot> buildSnapshotFromDirectory(const std::filesystem::path& dir) {
  constexpr std::string_view kOp = "BuildSnapshot: ";
  auto manifestText = readFile(dir / "manifest.json");
  if (!manifestText) return makeError(manifestText.error().code, std::string(kOp) + manifestText.error().message);
  const json manifest = json::parse(*manifestText, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object()) {
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "manifest.json is not a JSON object");
  }
  Snapshot snapshot;
  try {
    const auto created = parseIso8601Utc(manifest.at("createdAt").get<std::string>());
    if (!created) return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "manifest createdAt is not ISO 8601");
    snapshot.createdUnix = *created;

    std::vector<AzureGpuSize> azureSizes;
    if (manifest.contains("azureGpuSizes")) {
      auto text = readFile(dir / manifest["azureGpuSizes"].get<std::string>());
      if (!text) return makeError(text.error().code, std::string(kOp) + text.error().message);
      auto sizes = parseAzureGpuSizes(*text);
      if (!sizes) return makeError(sizes.error().code, std::string(kOp) + sizes.error().message);
      azureSizes = std::move(sizes.value());
    }
    std::vector<sources::PriceRecord> records;
    std::vector<sources::InterruptionRecord> interruptions;
    std::vector<std::string> priority;
    for (const auto& entry : manifest.at("sources")) {
      PriceSource source;
      source.id = entry.at("id").get<std::string>();
      const std::string where = std::string(kOp) + "source '" + source.id + "': ";
      const auto provider = parseProvider(entry.at("provider").get<std::string>());
      const auto asOf = parseIso8601Utc(entry.at("asOf").get<std::string>());
      if (!provider || !asOf) return makeError(ErrorCode::InvalidArgument, where + "bad provider or asOf");
      source.provider = *provider;
      source.asOfUnix = *asOf;
      source.description = entry.value("description", "");
      source.url = entry.value("url", "");
      source.revision = entry.value("revision", "");
      const std::string format = entry.at("format").get<std::string>();
      // One recorded response ("file"), or the pages of a paged one in order ("files": Azure's
      // NextPageLink pages, GCP's nextPageToken pages, DescribeSpotPriceHistory's NextToken pages).
      std::vector<std::filesystem::path> files;
      if (entry.contains("file") == entry.contains("files")) {
        return makeError(ErrorCode::InvalidArgument, where + R"(give either "file" or "files")");
      }
      if (entry.contains("file")) {
        files.push_back(dir / entry["file"].get<std::string>());
      } else {
        for (const auto& name : entry["files"]) files.push_back(dir / name.get<std::string>());
        if (files.empty()) return makeError(ErrorCode::InvalidArgument, where + R"("files" is empty)");
      }
      priority.push_back(source.id);
      if (format == "skypilot-vms-csv") {
        if (files.size() != 1) return makeError(ErrorCode::InvalidArgument, where + R"(a SkyPilot catalog is one "file")");
        const auto& file = files.front();
        auto text = readFile(file);
        if (!text) return makeError(text.error().code, where + text.error().message);
        auto report = importSkyPilotCatalog(*text, {source.provider, source.id, source.asOfUnix}, azureSizes);
        if (!report) return makeError(report.error().code, where + report.error().message);
        std::ranges::move(recordsFromOffers(report->offers), std::back_inserter(records));
        std::ranges::move(report->notes, std::back_inserter(snapshot.notes));
      } else if (std::ranges::find(sources::importFormats(), format) != sources::importFormats().end()) {
        sources::ImportOptions options;
        options.sourceId = source.id;
        options.asOfUnix = source.asOfUnix;
        options.nowUnix = snapshot.createdUnix;
        options.region = entry.value("region", "");
        bool anyPrice = false;
        bool anyBand = false;
        for (std::size_t page = 0; page < files.size(); ++page) {
          auto parsed = sources::importSourceFile(format, files[page], options);
          if (!parsed) {
            const std::string which = files.size() > 1 ? "page " + std::to_string(page + 1) + " (" + files[page].filename().string() + "): " : "";
            return makeError(parsed.error().code, where + which + parsed.error().message);
          }
          for (auto& band : parsed->interruptions) band.band.sourceId = source.id;
          anyPrice = anyPrice || !parsed->records.empty();
          anyBand = anyBand || !parsed->interruptions.empty();
          std::ranges::move(parsed->records, std::back_inserter(records));
          std::ranges::move(parsed->interruptions, std::back_inserter(interruptions));
          for (auto& note : parsed->notes) snapshot.notes.push_back(source.id + ": " + note);
        }
        source.interruptionsOnly = !anyPrice && anyBand;
      } else {
        return makeError(ErrorCode::InvalidArgument, where + "unknown format '" + format + "'");
      }
      snapshot.sources.push_back(std::move(source));
    }
    auto catalog = buildCatalog(records, interruptions, sources::builtinMachines(), priority);
    snapshot.offers = std::move(catalog.offers);
    std::ranges::move(catalog.notes, std::back_inserter(snapshot.notes));
  } catch (const json::exception& e) {
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "manifest field missing or mistyped: " + e.what());
  }
  sortOffers(snapshot.offers);
  return snapshot;
}

}  // namespace spotwise::pricing
