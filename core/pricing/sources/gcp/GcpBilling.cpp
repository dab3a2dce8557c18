#include "core/pricing/sources/gcp/GcpBilling.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/common/Numbers.h"
#include "core/common/Time.h"
#include "core/pricing/GpuModels.h"

namespace spotwise::pricing::sources {

namespace {

using nlohmann::json;
constexpr std::string_view kOp = "GcpBilling: ";

/** units (int64 as a string, or a number) + nanos / 1e9. */
std::optional<double> money(const json& unitPrice) {
  double units = 0;
  if (unitPrice.contains("units")) {
    const auto& u = unitPrice["units"];
    if (u.is_string()) {
      const auto parsed = parseDouble(u.get<std::string>());
      if (!parsed) return std::nullopt;
      units = *parsed;
    } else if (u.is_number()) {
      units = u.get<double>();
    } else {
      return std::nullopt;
    }
  }
  double nanos = 0;
  if (unitPrice.contains("nanos")) {
    if (!unitPrice["nanos"].is_number()) return std::nullopt;
    nanos = unitPrice["nanos"].get<double>();
  }
  return units + nanos / 1e9;
}

/** Classifies a description (after any spot prefix) as a component, or nullopt. */
std::optional<GcpComponentPrice> classify(std::string_view description) {
  for (std::string_view prefix : {"Spot Preemptible ", "Preemptible "}) {
    if (description.starts_with(prefix)) {
      description.remove_prefix(prefix.size());
      break;
    }
  }
  GcpComponentPrice c;
  if (description.starts_with("Nvidia ")) {
    std::string_view rest = description.substr(7);
    const auto gpu = rest.find(" GPU ");
    if (gpu == std::string_view::npos) return std::nullopt;
    const std::string_view after = rest.substr(gpu + 5);
    if (!after.starts_with("running in") && !after.starts_with("attached to")) return std::nullopt;
    c.part = GcpComponentPrice::Part::Gpu;
    c.gpuSku = std::string(rest.substr(0, gpu));
    return c;
  }
  // "A2 Instance Core running in …", "N1 Predefined Instance Ram running in …"
  for (const auto& [marker, part] : {std::pair{std::string_view(" Instance Core running in"), GcpComponentPrice::Part::Core},
                                     std::pair{std::string_view(" Instance Ram running in"), GcpComponentPrice::Part::Ram}}) {
    const auto at = description.find(marker);
    if (at == std::string_view::npos) continue;
    std::string_view family = description.substr(0, at);
    if (family.ends_with(" Predefined")) family.remove_suffix(11);
    // A machine family code ("A2", "N1", "N2D"); "Custom", "Sole Tenancy", "Memory-optimized" are not.
    if (family.empty() || !std::ranges::all_of(family, [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); })) {
      return std::nullopt;
    }
    c.part = part;
    c.family = std::string(family);
    return c;
  }
  return std::nullopt;
}

}  // namespace

Result<GcpSkuPage> parseGcpSkuPage(std::string_view body) {
  const json root = json::parse(body, nullptr, false);
  if (root.is_discarded()) return makeError(ErrorCode::DataLoss, std::string(kOp) + "page is not valid JSON (truncated or malformed)");
  if (!root.is_object() || !root.contains("skus") || !root["skus"].is_array()) {
    if (root.is_object() && root.contains("error")) {
      return makeError(ErrorCode::FailedPrecondition, std::string(kOp) + "API error: " + root["error"].value("message", std::string("?")));
    }
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "page has no skus array");
  }
  GcpSkuPage page;
  if (root.contains("nextPageToken") && root["nextPageToken"].is_string()) page.nextPageToken = root["nextPageToken"].get<std::string>();
  std::map<std::string, std::size_t> dropped;
  std::map<std::string, std::size_t> unexpected;
  try {
    for (const auto& sku : root["skus"]) {
      ++page.itemsRead;
      const std::string skuId = sku.value("skuId", std::string());
      const std::string where = std::string(kOp) + "SKU " + (skuId.empty() ? std::to_string(page.itemsRead) : skuId) + ": ";
      const std::string description = sku.at("description").get<std::string>();
      const auto& category = sku.at("category");
      if (category.value("resourceFamily", std::string()) != "Compute") {
        ++dropped["non-compute SKUs"];
        continue;
      }
      const std::string usage = category.value("usageType", std::string());
      PriceKind kind;
      if (usage == "OnDemand") {
        kind = PriceKind::OnDemand;
      } else if (usage == "Preemptible") {
        kind = PriceKind::Spot;
      } else if (usage == "Commit1Yr" || usage == "Commit3Yr") {
        ++dropped[usage + " SKUs"];
        continue;
      } else {
        ++unexpected[usage.empty() ? std::string("compute SKUs without usageType") : "compute SKUs of unknown usageType '" + usage + "'"];
        continue;
      }
      auto component = classify(description);
      if (!component) {
        ++dropped["other compute SKUs"];
        continue;
      }
      component->kind = kind;
      component->skuId = skuId;
      component->regions = sku.value("serviceRegions", std::vector<std::string>{});
      // The latest pricingInfo; its tier starting at 0 (or the next, past a zero-price free tier).
      const json* latest = nullptr;
      std::int64_t latestTime = -1;
      for (const auto& info : sku.at("pricingInfo")) {
        const auto when = parseIso8601Utc(info.value("effectiveTime", std::string()));
        const std::int64_t t = when.value_or(0);
        if (t > latestTime) {
          latestTime = t;
          latest = &info;
        }
      }
      if (!latest) return makeError(ErrorCode::InvalidArgument, where + "no pricingInfo");
      const auto& expression = latest->at("pricingExpression");
      const std::string unit = expression.value("usageUnit", std::string());
      const std::string expected = component->part == GcpComponentPrice::Part::Ram ? "GiBy.h" : "h";
      if (unit != expected) {
        // One SKU in an unknown unit must not sink the others; it is counted and shown.
        ++unexpected["SKUs in usageUnit '" + unit + "' where '" + expected + "' was expected"];
        continue;
      }
      std::optional<double> price;
      for (const auto& tier : expression.at("tieredRates")) {
        const auto& unitPrice = tier.at("unitPrice");
        const std::string currency = unitPrice.value("currencyCode", std::string());
        if (currency != "USD") return makeError(ErrorCode::InvalidArgument, where + "priced in '" + currency + "', not USD");
        const auto value = money(unitPrice);
        if (!value || *value < 0) return makeError(ErrorCode::InvalidArgument, where + "unitPrice units/nanos are not numbers");
        price = value;
        if (*value > 0) break;  // a zero-price free first tier falls through to the next
      }
      if (!price || *price <= 0) {
        ++dropped["SKUs without a non-zero price"];
        continue;
      }
      component->usdPerUnit = *price;
      component->effectiveUnix = latestTime > 0 ? latestTime : 0;
      page.components.push_back(std::move(*component));
    }
  } catch (const json::exception& e) {
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "missing or mistyped field: " + e.what());
  }
  for (const auto& [reason, count] : dropped) page.notes.push_back(std::to_string(count) + " " + reason + " left out");
  for (const auto& [reason, count] : unexpected) {
    page.warnings.push_back("GcpBilling: " + std::to_string(count) + " " + reason + " left out (the API may have changed)");
  }
  return page;
}

std::vector<PriceRecord> composeGcpMachinePrices(const std::vector<GcpComponentPrice>& components,
                                                 const std::vector<MachineSpec>& machines, std::string_view sourceId,
                                                 std::int64_t asOfUnix) {
  // (part, family or GPU SKU, kind, region) → (price, effective time)
  std::map<std::tuple<int, std::string, PriceKind, std::string>, std::pair<double, std::int64_t>> index;
  std::set<std::string> regions;
  for (const auto& c : components) {
    const std::string& name = c.part == GcpComponentPrice::Part::Gpu ? c.gpuSku : c.family;
    for (const auto& region : c.regions) {
      index[{static_cast<int>(c.part), name, c.kind, region}] = {c.usdPerUnit, c.effectiveUnix};
      regions.insert(region);
    }
  }
  std::vector<PriceRecord> records;
  for (const auto& machine : machines) {
    if (machine.provider != CloudProvider::Gcp) continue;
    for (const auto& region : regions) {
      for (const PriceKind kind : {PriceKind::OnDemand, PriceKind::Spot}) {
        const auto core = index.find({static_cast<int>(GcpComponentPrice::Part::Core), machine.gcpFamily, kind, region});
        const auto ram = index.find({static_cast<int>(GcpComponentPrice::Part::Ram), machine.gcpFamily, kind, region});
        const auto gpu = index.find({static_cast<int>(GcpComponentPrice::Part::Gpu), machine.gcpGpuSku, kind, region});
        if (core == index.end() || ram == index.end() || gpu == index.end()) continue;
        // Rounded to 1e-6 $/h, the precision of the SKU prices (nanos are whole micro-dollars in practice).
        const double total = machine.vcpus * core->second.first + machine.ramGiB * ram->second.first +
                             machine.gpuCount * gpu->second.first;
        PriceRecord record;
        record.provider = CloudProvider::Gcp;
        record.region = region;
        record.instanceType = machine.instanceType;
        record.kind = kind;
        record.usdPerHour = std::round(total * 1e6) / 1e6;
        record.sourceId = std::string(sourceId);
        record.asOfUnix = asOfUnix != 0 ? asOfUnix : std::max({core->second.second, ram->second.second, gpu->second.second});
        record.gpuModel = machine.gpuModel;
        record.gpuCount = machine.gpuCount;
        record.vcpus = machine.vcpus;
        record.ramGiB = machine.ramGiB;
        records.push_back(std::move(record));
      }
    }
  }
  return records;
}

Result<ParsedPrices> parseGcpBilling(std::string_view json, std::string_view sourceId, std::int64_t asOfUnix) {
  auto page = parseGcpSkuPage(json);
  if (!page) return page.error();
  ParsedPrices parsed;
  parsed.records = composeGcpMachinePrices(page->components, builtinMachines(), sourceId, asOfUnix);
  parsed.notes = page->notes;
  parsed.warnings = page->warnings;
  parsed.itemsRead = page->itemsRead;
  parsed.nextPage = page->nextPageToken;
  return parsed;
}

}  // namespace spotwise::pricing::sources
