#include "core/pricing/sources/aws/AwsSpot.h"

#include <array>
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/cloud/Xml.h"
#include "core/cloud/aws/Ec2Api.h"
#include "core/common/Numbers.h"
#include "core/common/Time.h"

namespace spotwise::pricing::sources {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kLegacyRegions{{
    {"us-east", "us-east-1"},
    {"us-west", "us-west-1"},
    {"eu-ireland", "eu-west-1"},
    {"eu-frankfurt", "eu-central-1"},
    {"apac-sin", "ap-southeast-1"},
    {"apac-syd", "ap-southeast-2"},
    {"apac-tokyo", "ap-northeast-1"},
    {"ap-seoul", "ap-northeast-2"},
    {"sa-saopaulo", "sa-east-1"},
    {"us-gov-west", "us-gov-west-1"},
}};

/** A region code looks like "us-east-2", "ap-southeast-4": letters-words-digit. */
bool looksLikeRegionCode(std::string_view name) {
  return !name.empty() && name.back() >= '0' && name.back() <= '9' && name.find('-') != std::string_view::npos;
}

/** Strips a JSONP wrapper (and anything before it, such as a licence comment). */
std::string_view stripJsonp(std::string_view text) {
  const auto call = text.find("callback(");
  if (call == std::string_view::npos) return text;
  text.remove_prefix(call + 9);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == ';')) {
    text.remove_suffix(1);
  }
  if (!text.empty() && text.back() == ')') text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> awsRegionFromSpotFeedName(std::string_view name) {
  for (const auto& [legacy, code] : kLegacyRegions) {
    if (name == legacy) return std::string(code);
  }
  if (looksLikeRegionCode(name)) return std::string(name);
  return std::nullopt;
}

Result<ParsedPrices> parseAwsSpotFeed(std::string_view text, std::string_view sourceId, std::int64_t asOfUnix) {
  constexpr std::string_view kOp = "AwsSpotFeed: ";
  const json root = json::parse(stripJsonp(text), nullptr, false);
  if (root.is_discarded()) return makeError(ErrorCode::DataLoss, std::string(kOp) + "not valid JSON(P) (truncated or malformed)");
  ParsedPrices result;
  std::size_t notAvailable = 0;
  std::vector<std::string> unknownRegions;
  std::size_t noLinux = 0;
  try {
    const auto& config = root.at("config");
    const auto currencies = config.value("currencies", std::vector<std::string>{});
    if (std::ranges::find(currencies, "USD") == currencies.end()) {
      return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "the feed has no USD prices");
    }
    for (const auto& region : config.at("regions")) {
      const std::string name = region.at("region").get<std::string>();
      const auto code = awsRegionFromSpotFeedName(name);
      if (!code) {
        // A legacy name AWS added later: that region's prices are left out and the user told.
        unknownRegions.push_back(name);
        continue;
      }
      for (const auto& group : region.at("instanceTypes")) {
        for (const auto& size : group.at("sizes")) {
          ++result.itemsRead;
          const std::string type = size.at("size").get<std::string>();
          bool hasLinux = false;
          for (const auto& column : size.at("valueColumns")) {
            if (column.at("name").get<std::string>() != "linux") continue;
            hasLinux = true;
            const auto& prices = column.at("prices");
            if (!prices.contains("USD")) {
              return makeError(ErrorCode::InvalidArgument, std::string(kOp) + name + " " + type + ": no USD price");
            }
            const std::string value = prices.at("USD").get<std::string>();
            if (value.starts_with("N/A")) {
              ++notAvailable;
              continue;
            }
            const auto price = parseDouble(value);
            if (!price || *price < 0) {
              return makeError(ErrorCode::InvalidArgument, std::string(kOp) + name + " " + type + ": price '" + value + "' is not a number");
            }
            if (*price == 0.0) {
              ++notAvailable;
              continue;
            }
            PriceRecord record;
            record.provider = CloudProvider::Aws;
            record.region = *code;
            record.instanceType = type;
            record.kind = PriceKind::Spot;
            record.usdPerHour = *price;
            record.sourceId = std::string(sourceId);
            record.asOfUnix = asOfUnix;
            result.records.push_back(std::move(record));
          }
          if (!hasLinux) ++noLinux;
        }
      }
    }
  } catch (const json::exception& e) {
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "missing or mistyped field: " + e.what());
  }
  if (notAvailable > 0) result.notes.push_back(std::to_string(notAvailable) + " Linux spot prices were N/A (left out, never $0)");
  if (!unknownRegions.empty()) {
    std::string names;
    for (const auto& n : unknownRegions) names += (names.empty() ? "" : ", ") + n;
    result.warnings.push_back(std::string(kOp) + std::to_string(unknownRegions.size()) + " region(s) with an unknown name left out: " + names);
  }
  if (noLinux > 0) result.warnings.push_back(std::string(kOp) + std::to_string(noLinux) + " sizes without a 'linux' price column left out");
  return result;
}

Result<ParsedPrices> parseAwsSpotAdvisor(std::string_view text, std::string_view sourceId, std::int64_t asOfUnix) {
  constexpr std::string_view kOp = "AwsSpotAdvisor: ";
  const json root = json::parse(text, nullptr, false);
  if (root.is_discarded()) return makeError(ErrorCode::DataLoss, std::string(kOp) + "not valid JSON (truncated or malformed)");
  ParsedPrices result;
  std::map<int, InterruptionBand> bands;
  try {
    for (const auto& range : root.at("ranges")) {
      InterruptionBand band;
      band.index = range.at("index").get<int>();
      band.label = range.at("label").get<std::string>();
      band.sourceId = std::string(sourceId);
      // "<5%", "5-10%", ">20%": bounds from the label (the `max` field overlaps the next band).
      std::string_view label = band.label;
      if (label.ends_with('%')) label.remove_suffix(1);
      if (label.starts_with('<')) {
        band.minMonthlyPercent = 0;
        band.maxMonthlyPercent = parseDouble(label.substr(1)).value_or(-1);
      } else if (label.starts_with('>')) {
        band.minMonthlyPercent = parseDouble(label.substr(1)).value_or(-1);
        band.maxMonthlyPercent = 100;
      } else if (const auto dash = label.find('-'); dash != std::string_view::npos) {
        band.minMonthlyPercent = parseDouble(label.substr(0, dash)).value_or(-1);
        band.maxMonthlyPercent = parseDouble(label.substr(dash + 1)).value_or(-1);
      } else {
        band.minMonthlyPercent = band.maxMonthlyPercent = -1;
      }
      if (band.minMonthlyPercent < 0 || band.maxMonthlyPercent < 0) {
        return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "range label '" + band.label + "' is not a percentage band");
      }
      bands[band.index] = std::move(band);
    }
    for (const auto& [region, byOs] : root.at("spot_advisor").items()) {
      if (!byOs.contains("Linux")) continue;
      for (const auto& [type, entry] : byOs.at("Linux").items()) {
        ++result.itemsRead;
        const int r = entry.at("r").get<int>();
        const auto band = bands.find(r);
        if (band == bands.end()) {
          return makeError(ErrorCode::InvalidArgument,
                           std::string(kOp) + region + " " + type + ": r=" + std::to_string(r) + " has no entry in ranges");
        }
        InterruptionRecord record;
        record.region = region;
        record.instanceType = type;
        record.band = band->second;
        if (entry.contains("s")) record.savingsPercent = entry.at("s").get<int>();
        result.interruptions.push_back(std::move(record));
      }
    }
  } catch (const json::exception& e) {
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "missing or mistyped field: " + e.what());
  }
  (void)asOfUnix;
  return result;
}

ParsedPrices newestSpotPerZone(const std::vector<cloud::aws::SpotPrice>& items, std::string_view region,
                               std::string_view sourceId, std::int64_t fetchedUnix) {
  ParsedPrices result;
  // newest item per (zone, type): the reply is a history, in no order
  std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, PriceRecord>> newest;
  std::size_t otherOs = 0;
  for (const auto& item : items) {
    ++result.itemsRead;
    if (!item.productDescription.starts_with("Linux/UNIX")) {
      ++otherOs;
      continue;
    }
    PriceRecord record;
    record.provider = CloudProvider::Aws;
    record.zone = item.zoneId.empty() ? item.zone : item.zoneId;  // IDs, as the catalog keys AWS zones
    record.region = !region.empty() ? std::string(region) : item.zone.substr(0, item.zone.empty() ? 0 : item.zone.size() - 1);
    record.instanceType = item.instanceType;
    record.kind = PriceKind::Spot;
    record.usdPerHour = item.pricePerHour;
    record.sourceId = std::string(sourceId);
    record.asOfUnix = fetchedUnix != 0 ? fetchedUnix : item.timestampUnix;
    auto& slot = newest[{record.zone, item.instanceType}];
    if (slot.second.instanceType.empty() || item.timestampUnix > slot.first) slot = {item.timestampUnix, std::move(record)};
  }
  for (auto& [key, entry] : newest) result.records.push_back(std::move(entry.second));
  if (otherOs > 0) result.notes.push_back(std::to_string(otherOs) + " non-Linux history items left out");
  return result;
}

std::vector<HistoryPoint> spotPriceChanges(const std::vector<cloud::aws::SpotPrice>& items, std::string_view instanceType,
                                           std::string_view zone) {
  // Each zone's changes in time order; the key is the zone as asked for (ID or name), or the item's own.
  std::map<std::string, std::map<std::int64_t, double>, std::less<>> byZone;
  for (const auto& p : items) {
    if (p.instanceType != instanceType || !p.productDescription.starts_with("Linux/UNIX") || p.timestampUnix <= 0) continue;
    if (!zone.empty() && p.zoneId != zone && p.zone != zone) continue;
    byZone[p.zoneId.empty() ? p.zone : p.zoneId][p.timestampUnix] = p.pricePerHour;
  }
  std::set<std::int64_t> times;
  for (const auto& [z, changes] : byZone)
    for (const auto& [t, price] : changes) times.insert(t);
  std::vector<HistoryPoint> points;
  for (const std::int64_t t : times) {
    double lowest = -1;
    for (const auto& [z, changes] : byZone) {
      const auto after = changes.upper_bound(t);  // the change in effect at t is the last one at or before it
      if (after == changes.begin()) continue;
      const double price = std::prev(after)->second;
      if (lowest < 0 || price < lowest) lowest = price;
    }
    if (lowest < 0 || (!points.empty() && points.back().usdPerHour == lowest)) continue;
    points.push_back(HistoryPoint{t, t, lowest, "aws-spot-history"});
  }
  return points;
}

Result<ParsedPrices> parseAwsSpotPriceHistory(std::string_view xml, std::string_view region, std::string_view sourceId) {
  constexpr std::string_view kOp = "AwsSpotHistory";
  auto root = cloud::parseXml(xml, kOp);
  if (!root) return makeError(ErrorCode::DataLoss, root.error().message + " (truncated or malformed)");
  if (root->name != "DescribeSpotPriceHistoryResponse") {
    if (root->child("Errors") || root->name == "Error") return cloud::aws::ec2Error(kOp, 200, xml);
    return makeError(ErrorCode::InvalidArgument, std::string(kOp) + ": <" + root->name + "> is not a DescribeSpotPriceHistoryResponse");
  }
  auto page = cloud::aws::parseSpotPriceHistory(xml);
  if (!page) {
    Error e = page.error();
    e.code = ErrorCode::InvalidArgument;
    e.message = std::string(kOp) + ": " + e.message;
    return e;
  }
  for (std::size_t i = 0; i < page->prices.size(); ++i) {
    const auto& p = page->prices[i];
    if (p.instanceType.empty() || p.zone.empty() || p.productDescription.empty() || p.timestampUnix == 0 || p.pricePerHour <= 0) {
      return makeError(ErrorCode::InvalidArgument, std::string(kOp) + ": item " + std::to_string(i + 1) + " (" + p.zone + " " +
                                                       p.instanceType + ") lacks a zone, type, product, positive spotPrice or ISO 8601 timestamp");
    }
  }
  ParsedPrices result = newestSpotPerZone(page->prices, region, sourceId, 0);
  result.nextPage = page->nextToken;
  return result;
}

}  // namespace spotwise::pricing::sources
