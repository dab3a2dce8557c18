#include "core/pricing/SkyPilotImporter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>

#include "core/common/Csv.h"
#include "core/common/Numbers.h"
#include "core/pricing/GpuModels.h"

namespace spotwise::pricing {

namespace {

constexpr std::string_view kOp = "ImportSkyPilot";
// No machine carries more GPUs than this; larger counts are garbage (and would overflow an int).
constexpr double kMaxGpuCount = 1024;

Error rowError(const CsvTable& table, std::size_t row, std::string_view what) {
  return makeError(ErrorCode::InvalidArgument,
                   std::string(kOp) + ": line " + std::to_string(table.lineOf(row)) + ": " + std::string(what));
}

// Column indices by header name; every column the layout needs must exist.
struct Columns {
  std::size_t instanceType, acceleratorName, acceleratorCount, vcpus, memory, gpuInfo, price, spotPrice, region;
  std::optional<std::size_t> zone;
};

Result<Columns> findColumns(const CsvTable& table) {
  Columns c{};
  const std::pair<std::string_view, std::size_t*> required[] = {
      {"InstanceType", &c.instanceType}, {"AcceleratorName", &c.acceleratorName},
      {"AcceleratorCount", &c.acceleratorCount}, {"vCPUs", &c.vcpus}, {"MemoryGiB", &c.memory},
      {"GpuInfo", &c.gpuInfo}, {"Price", &c.price}, {"SpotPrice", &c.spotPrice}, {"Region", &c.region}};
  for (const auto& [name, slot] : required) {
    auto index = table.column(name);
    if (!index) {
      return makeError(ErrorCode::InvalidArgument,
                       std::string(kOp) + ": column '" + std::string(name) + "' missing from the header");
    }
    *slot = *index;
  }
  c.zone = table.column("AvailabilityZone");
  return c;
}

// An optional number: empty cell → nullopt; malformed → error.
Result<std::optional<double>> optionalNumber(const CsvTable& table, std::size_t row, std::size_t col,
                                             std::string_view name) {
  const std::string& text = table.cell(row, col);
  if (text.empty()) return std::optional<double>{};
  auto value = parseDouble(text);
  if (!value || *value < 0) {
    return rowError(table, row, std::string(name) + " is not a non-negative number: '" + text + "'");
  }
  return std::optional<double>{*value};
}

// Per-GPU memory from GpuInfo ("...'MemoryInfo': {'SizeInMiB': 81920}..."), the first size given.
std::optional<double> memoryFromGpuInfo(std::string_view gpuInfo) {
  constexpr std::string_view kKey = "'SizeInMiB': ";
  const auto at = gpuInfo.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = gpuInfo.data() + at + kKey.size();
  long mib = 0;
  auto [ptr, ec] = std::from_chars(first, gpuInfo.data() + gpuInfo.size(), mib);
  if (ec != std::errc{} || mib <= 0) return std::nullopt;
  return static_cast<double>(mib) / 1024.0;
}

struct Row {
  std::string instanceType, gpuModel, region, zone;
  int gpuCount = 0;
  double gpuMemoryGiB = 0, vcpus = 0, ramGiB = 0;
  std::optional<double> onDemand, spot;
};

// GPUs that a GCP machine type carries (the accelerator row's name and count), from the
// machine family's documented shape: a2-highgpu-4g has 4 × A100 40GB, g2-standard-24 2 × L4, ...
std::optional<std::pair<std::string, int>> gcpBundledGpus(std::string_view type) {
  auto suffixCount = [&](std::string_view prefix) -> std::optional<int> {
    if (!type.starts_with(prefix)) return std::nullopt;
    std::string_view rest = type.substr(prefix.size());
    int n = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc{} || ptr == rest.data() || *ptr != 'g' || n <= 0) return std::nullopt;
    return n;
  };
  if (auto n = suffixCount("a2-highgpu-")) return std::pair<std::string, int>{"A100", *n};
  if (auto n = suffixCount("a2-megagpu-")) return std::pair<std::string, int>{"A100", *n};
  if (auto n = suffixCount("a2-ultragpu-")) return std::pair<std::string, int>{"A100-80GB", *n};
  if (auto n = suffixCount("a3-highgpu-")) return std::pair<std::string, int>{"H100", *n};
  if (auto n = suffixCount("a3-edgegpu-")) return std::pair<std::string, int>{"H100", *n};
  if (auto n = suffixCount("a3-megagpu-")) return std::pair<std::string, int>{"H100-MEGA", *n};
  if (auto n = suffixCount("a3-ultragpu-")) return std::pair<std::string, int>{"H200", *n};
  if (auto n = suffixCount("a4-highgpu-")) return std::pair<std::string, int>{"B200", *n};
  if (type.starts_with("g2-standard-")) {
    const std::string_view size = type.substr(12);
    if (size == "4" || size == "8" || size == "12" || size == "16" || size == "32") return std::pair<std::string, int>{"L4", 1};
    if (size == "24") return std::pair<std::string, int>{"L4", 2};
    if (size == "48") return std::pair<std::string, int>{"L4", 4};
    if (size == "96") return std::pair<std::string, int>{"L4", 8};
  }
  return std::nullopt;
}

std::optional<double> addPrices(std::optional<double> a, std::optional<double> b) {
  if (!a || !b) return std::nullopt;
  // Round to 1e-8 $/h: the inputs have at most 6 decimals, so this only removes binary noise.
  return std::round((*a + *b) * 1e8) / 1e8;
}

// Collapses per-zone rows: identical prices in every zone of a region → one region-wide offer;
// otherwise one offer per distinct price pair, naming its zones.
std::vector<Offer> collapseZones(std::vector<Row> rows, const SkyPilotSource& source) {
  using Key = std::tuple<std::string, std::string, std::string, int>;  // type, region, gpu, count
  std::map<Key, std::vector<Row>> byMachine;
  for (auto& row : rows) byMachine[{row.instanceType, row.region, row.gpuModel, row.gpuCount}].push_back(std::move(row));

  std::vector<Offer> offers;
  for (auto& [key, group] : byMachine) {
    // Distinct (on-demand, spot) pairs, each with its sorted zone list.
    std::map<std::pair<std::optional<double>, std::optional<double>>, std::vector<std::string>> byPrice;
    for (const Row& row : group) {
      auto& zones = byPrice[{row.onDemand, row.spot}];
      if (!row.zone.empty() && std::ranges::find(zones, row.zone) == zones.end()) zones.push_back(row.zone);
    }
    for (auto& [prices, zones] : byPrice) {
      const Row& first = group.front();
      Offer offer;
      offer.provider = source.provider;
      offer.region = first.region;
      offer.instanceType = first.instanceType;
      offer.gpuModel = first.gpuModel;
      offer.gpuCount = first.gpuCount;
      offer.gpuMemoryGiB = first.gpuMemoryGiB;
      offer.vcpus = first.vcpus;
      offer.ramGiB = first.ramGiB;
      if (byPrice.size() > 1) {
        std::ranges::sort(zones);
        for (std::size_t i = 0; i < zones.size(); ++i) offer.zone += (i ? "," : "") + zones[i];
      }
      if (prices.first) offer.onDemand = Price{*prices.first, source.sourceId, source.asOfUnix};
      if (prices.second) offer.spot = Price{*prices.second, source.sourceId, source.asOfUnix};
      offers.push_back(std::move(offer));
    }
  }
  return offers;
}

struct Parsed {
  std::string instanceType, accelerator, region, zone;
  std::optional<double> count, vcpus, memory, price, spot;
  std::optional<double> gpuMemoryGiB;
};

Result<Parsed> parseRow(const CsvTable& table, const Columns& c, std::size_t row) {
  Parsed p;
  p.instanceType = table.cell(row, c.instanceType);
  p.accelerator = table.cell(row, c.acceleratorName);
  p.region = table.cell(row, c.region);
  if (c.zone) p.zone = table.cell(row, *c.zone);
  if (p.region.empty()) return rowError(table, row, "Region is empty");
  const std::tuple<std::size_t, std::string_view, std::optional<double>*> numbers[] = {
      {c.acceleratorCount, "AcceleratorCount", &p.count}, {c.vcpus, "vCPUs", &p.vcpus},
      {c.memory, "MemoryGiB", &p.memory}, {c.price, "Price", &p.price}, {c.spotPrice, "SpotPrice", &p.spot}};
  for (const auto& [col, name, slot] : numbers) {
    auto value = optionalNumber(table, row, col, name);
    if (!value) return value.error();
    *slot = *value;
  }
  if (p.count && *p.count > kMaxGpuCount) {
    return rowError(table, row, "AcceleratorCount is not a plausible GPU count: '" + table.cell(row, c.acceleratorCount) + "'");
  }
  p.gpuMemoryGiB = memoryFromGpuInfo(table.cell(row, c.gpuInfo));
  return p;
}

}  // namespace

Result<std::vector<AzureGpuSize>> parseAzureGpuSizes(std::string_view csvText) {
  auto table = CsvTable::parse(csvText);
  if (!table) return makeError(ErrorCode::InvalidArgument, "AzureGpuSizes: " + table.error().message);
  const auto type = table->column("InstanceType");
  const auto model = table->column("GpuModel");
  const auto count = table->column("GpuCount");
  const auto memory = table->column("GpuMemoryGiB");
  if (!type || !model || !count || !memory) {
    return makeError(ErrorCode::InvalidArgument,
                     "AzureGpuSizes: header must have InstanceType,GpuModel,GpuCount,GpuMemoryGiB");
  }
  std::vector<AzureGpuSize> sizes;
  for (std::size_t r = 0; r < table->rowCount(); ++r) {
    const auto n = parseDouble(table->cell(r, *count));
    const auto gib = parseDouble(table->cell(r, *memory));
    if (!n || *n < 1 || *n > kMaxGpuCount || *n != std::floor(*n) || !gib || *gib <= 0 ||
        table->cell(r, *type).empty()) {
      return makeError(ErrorCode::InvalidArgument,
                       "AzureGpuSizes: line " + std::to_string(table->lineOf(r)) + ": bad size entry");
    }
    sizes.push_back({table->cell(r, *type), normaliseGpuModel(table->cell(r, *model)), static_cast<int>(*n), *gib});
  }
  return sizes;
}

Result<ImportReport> importSkyPilotCatalog(std::string_view csvText, const SkyPilotSource& source,
                                           const std::vector<AzureGpuSize>& azureSizes) {
  auto table = CsvTable::parse(csvText);
  if (!table) return makeError(ErrorCode::InvalidArgument, std::string(kOp) + ": " + table.error().message);
  auto columns = findColumns(*table);
  if (!columns) return columns.error();

  ImportReport report;
  report.rowsRead = table->rowCount();
  std::vector<Row> rows;
  std::size_t cpuOnly = 0, nonGpu = 0, promo = 0, noPrice = 0, hostWithoutGpuPrice = 0;
  std::vector<std::string> missingAccelerators;

  // GCP accelerator rows by (name, count, zone), to add to host rows.
  std::map<std::tuple<std::string, int, std::string>, Parsed> gcpAccelerators;
  std::vector<Parsed> parsedRows;
  for (std::size_t r = 0; r < table->rowCount(); ++r) {
    auto parsed = parseRow(*table, *columns, r);
    if (!parsed) return parsed.error();
    if (source.provider == CloudProvider::Gcp && parsed->instanceType.empty()) {
      if (parsed->accelerator.empty() || !parsed->count) return rowError(*table, r, "accelerator row without a name or count");
      gcpAccelerators[{parsed->accelerator, static_cast<int>(*parsed->count), parsed->zone}] = *parsed;
      continue;
    }
    if (parsed->instanceType.empty()) return rowError(*table, r, "InstanceType is empty");
    parsedRows.push_back(std::move(parsed.value()));
  }

  for (Parsed& p : parsedRows) {
    Row row;
    row.instanceType = p.instanceType;
    row.region = p.region;
    row.zone = p.zone;
    row.vcpus = p.vcpus.value_or(0);
    row.ramGiB = p.memory.value_or(0);
    row.onDemand = p.price;
    row.spot = p.spot;
    std::string accelerator = p.accelerator;
    int count = p.count ? static_cast<int>(std::lround(*p.count)) : 0;
    std::optional<double> memory = p.gpuMemoryGiB;

    if (source.provider == CloudProvider::Gcp && accelerator.empty()) {
      const auto bundled = gcpBundledGpus(p.instanceType);
      if (!bundled) {
        ++cpuOnly;
        continue;
      }
      const auto it = gcpAccelerators.find({bundled->first, bundled->second, p.zone});
      if (it == gcpAccelerators.end()) {
        ++hostWithoutGpuPrice;
        if (std::ranges::find(missingAccelerators, p.instanceType) == missingAccelerators.end()) {
          missingAccelerators.push_back(p.instanceType);
        }
        continue;
      }
      accelerator = bundled->first;
      count = bundled->second;
      memory = it->second.gpuMemoryGiB;
      row.onDemand = addPrices(p.price, it->second.price);
      row.spot = addPrices(p.spot, it->second.spot);
    }
    if (source.provider == CloudProvider::Azure) {
      if (p.instanceType.ends_with("_Promo")) {
        ++promo;
        continue;
      }
      const auto size = std::ranges::find(azureSizes, p.instanceType, &AzureGpuSize::instanceType);
      if (size != azureSizes.end()) {
        accelerator = size->gpuModel;
        count = size->gpuCount;
        memory = size->gpuMemoryGiB;
      }
    }
    if (accelerator.empty() || count <= 0) {
      ++cpuOnly;
      continue;
    }
    if (isNonGpuAccelerator(accelerator)) {
      ++nonGpu;
      continue;
    }
    if (!row.onDemand && !row.spot) {
      ++noPrice;
      continue;
    }
    row.gpuModel = normaliseGpuModel(accelerator);
    row.gpuCount = count;
    row.gpuMemoryGiB = memory ? *memory : gpuMemoryGiB(row.gpuModel).value_or(0.0);
    rows.push_back(std::move(row));
  }

  report.offers = collapseZones(std::move(rows), source);
  const std::string id = source.sourceId;
  if (cpuOnly) report.notes.push_back(id + ": " + std::to_string(cpuOnly) + " rows without a GPU left out");
  if (nonGpu) report.notes.push_back(id + ": " + std::to_string(nonGpu) + " TPU/non-GPU accelerator rows left out");
  if (promo) report.notes.push_back(id + ": " + std::to_string(promo) + " retired _Promo size rows left out");
  if (noPrice) report.notes.push_back(id + ": " + std::to_string(noPrice) + " rows with neither price left out");
  if (hostWithoutGpuPrice) {
    std::string types;
    for (const auto& t : missingAccelerators) types += (types.empty() ? "" : ", ") + t;
    report.notes.push_back(id + ": " + std::to_string(hostWithoutGpuPrice) +
                           " host rows left out because the catalog has no GPU price for their zone (" + types + ")");
  }
  return report;
}

}  // namespace spotwise::pricing
