#include "core/pricing/sources/azure/AzureRetail.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/common/Numbers.h"
#include "core/common/Time.h"

namespace spotwise::pricing::sources {

namespace {
using nlohmann::json;
constexpr std::string_view kOp = "AzureRetail: ";

std::string text(const json& item, const char* key) {
  const auto it = item.find(key);
  return (it != item.end() && it->is_string()) ? it->get<std::string>() : std::string();
}
}  // namespace

Result<AzureRetailPage> parseAzureRetailPage(std::string_view body) {
  const json root = json::parse(body, nullptr, false);
  if (root.is_discarded()) return makeError(ErrorCode::DataLoss, std::string(kOp) + "page is not valid JSON (truncated or malformed)");
  if (!root.is_object() || !root.contains("Items") || !root["Items"].is_array()) {
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "page has no Items array");
  }
  const std::string billing = text(root, "BillingCurrency");
  if (!billing.empty() && billing != "USD") {
    return makeError(ErrorCode::InvalidArgument,
                     std::string(kOp) + "page is priced in " + billing + ", not USD (request currencyCode='USD')");
  }
  AzureRetailPage page;
  if (root.contains("NextPageLink") && root["NextPageLink"].is_string()) page.nextPageLink = root["NextPageLink"].get<std::string>();
  std::map<std::string, std::size_t> dropped;
  std::map<std::string, std::size_t> unexpected;
  for (const auto& item : root["Items"]) {
    ++page.itemsRead;
    const std::string where = std::string(kOp) + "item " + std::to_string(page.itemsRead) + ": ";
    if (!item.is_object()) return makeError(ErrorCode::InvalidArgument, where + "not an object");
    const std::string currency = text(item, "currencyCode");
    if (currency != "USD") {
      return makeError(ErrorCode::InvalidArgument, where + "currencyCode is '" + currency + "', not USD");
    }
    if (text(item, "serviceName") != "Virtual Machines") {
      ++dropped["not a Virtual Machines meter"];
      continue;
    }
    const std::string type = text(item, "type");
    if (type != "Consumption") {
      if (type == "Reservation" || type == "DevTestConsumption") ++dropped[type + " rows"];
      else ++unexpected["rows of unknown type '" + type + "'"];
      continue;
    }
    const std::string product = text(item, "productName");
    if (!product.starts_with("Virtual Machines")) {
      ++dropped["legacy products (" + (product.empty() ? std::string("no productName") : product) + ")"];
      continue;
    }
    if (product.ends_with(" Windows")) {
      ++dropped["Windows rows"];
      continue;
    }
    const std::string skuName = text(item, "skuName");
    PriceKind kind = PriceKind::OnDemand;
    if (skuName.ends_with(" Low Priority")) {
      ++dropped["Low Priority (legacy Batch) meters"];
      continue;
    }
    if (skuName.ends_with(" Spot")) kind = PriceKind::Spot;
    AzureRetailRow row;
    row.armSkuName = text(item, "armSkuName");
    row.armRegionName = text(item, "armRegionName");
    if (row.armSkuName.empty() || row.armRegionName.empty()) {
      ++unexpected["rows without armSkuName/armRegionName"];
      continue;
    }
    const auto price = item.find("retailPrice");
    if (price == item.end() || !price->is_number()) return makeError(ErrorCode::InvalidArgument, where + "retailPrice missing or not a number");
    // "1 Hour", "10 Hours": the quantity prefix divides the price.
    const std::string unit = text(item, "unitOfMeasure");
    const auto space = unit.find(' ');
    const auto quantity = parseDouble(unit.substr(0, space));
    if (space == std::string::npos || !quantity || *quantity <= 0 || !unit.substr(space + 1).starts_with("Hour")) {
      ++unexpected["rows in unit '" + unit + "' (not hours)"];
      continue;
    }
    row.kind = kind;
    row.usdPerHour = price->get<double>() / *quantity;
    if (row.usdPerHour <= 0) {
      ++dropped["$0 prices"];
      continue;
    }
    const auto start = parseIso8601Utc(text(item, "effectiveStartDate"));
    if (!start) return makeError(ErrorCode::InvalidArgument, where + "effectiveStartDate missing or not ISO 8601");
    row.effectiveStartUnix = *start;
    page.rows.push_back(std::move(row));
  }
  for (const auto& [reason, count] : dropped) page.notes.push_back(std::to_string(count) + " " + reason + " left out");
  for (const auto& [reason, count] : unexpected) {
    page.warnings.push_back("AzureRetail: " + std::to_string(count) + " " + reason + " left out (the API may have changed)");
  }
  return page;
}

std::vector<PriceRecord> selectAzurePrices(const std::vector<AzureRetailRow>& rows, std::int64_t nowUnix,
                                           std::string_view sourceId, std::int64_t asOfUnix) {
  std::map<std::tuple<std::string, std::string, PriceKind>, const AzureRetailRow*> chosen;
  for (const auto& row : rows) {
    if (row.effectiveStartUnix > nowUnix) continue;
    auto& slot = chosen[{row.armRegionName, row.armSkuName, row.kind}];
    if (!slot || row.effectiveStartUnix > slot->effectiveStartUnix) slot = &row;
  }
  std::vector<PriceRecord> records;
  for (const auto& [key, row] : chosen) {
    PriceRecord record;
    record.provider = CloudProvider::Azure;
    record.region = row->armRegionName;
    record.instanceType = row->armSkuName;
    record.kind = row->kind;
    record.usdPerHour = row->usdPerHour;
    record.sourceId = std::string(sourceId);
    record.asOfUnix = asOfUnix != 0 ? asOfUnix : row->effectiveStartUnix;
    records.push_back(std::move(record));
  }
  return records;
}

Result<ParsedPrices> parseAzureRetail(std::string_view json, std::int64_t nowUnix, std::string_view sourceId) {
  auto page = parseAzureRetailPage(json);
  if (!page) return page.error();
  ParsedPrices parsed;
  parsed.records = selectAzurePrices(page->rows, nowUnix, sourceId, 0);
  parsed.notes = page->notes;
  parsed.warnings = page->warnings;
  parsed.itemsRead = page->itemsRead;
  parsed.nextPage = page->nextPageLink;
  const auto future = static_cast<std::size_t>(
      std::ranges::count_if(page->rows, [&](const AzureRetailRow& r) { return r.effectiveStartUnix > nowUnix; }));
  if (future > 0) parsed.notes.push_back(std::to_string(future) + " rows effective only in the future left out");
  return parsed;
}

}  // namespace spotwise::pricing::sources
