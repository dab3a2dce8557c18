#include "core/pricing/Catalog.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace spotwise::pricing {

namespace {

using sources::PriceKind;
using sources::PriceRecord;

struct MachineKey {
  CloudProvider provider;
  std::string region;
  std::string instanceType;
  std::string gpuModel;
  int gpuCount;
  // clang-tidy 14 reports the literal 0 the compiler synthesizes in a defaulted <=> (fixed in clang-tidy 18).
  auto operator<=>(const MachineKey&) const = default;  // NOLINT(modernize-use-nullptr): llvm-project#53961
};

struct Facts {
  std::string gpuModel;
  int gpuCount = 0;
  double gpuMemoryGiB = 0, vcpus = 0, ramGiB = 0;
};

/** Winner of a duplicate: newest, then by source priority, then the first seen. */
bool better(const PriceRecord& candidate, std::size_t candidateOrder, const PriceRecord& current, std::size_t currentOrder,
            const std::vector<std::string>& priority) {
  if (candidate.asOfUnix != current.asOfUnix) return candidate.asOfUnix > current.asOfUnix;
  auto rank = [&](const std::string& id) {
    const auto it = std::ranges::find(priority, id);
    return it == priority.end() ? priority.size() : static_cast<std::size_t>(it - priority.begin());
  };
  const auto a = rank(candidate.sourceId), b = rank(current.sourceId);
  if (a != b) return a < b;
  if (a == priority.size() && candidate.sourceId != current.sourceId) return candidate.sourceId < current.sourceId;
  return candidateOrder < currentOrder;
}

Price toPrice(const PriceRecord& r) { return Price{r.usdPerHour, r.sourceId, r.asOfUnix}; }

}  // namespace

CatalogResult buildCatalog(const std::vector<PriceRecord>& records, const std::vector<sources::InterruptionRecord>& interruptions,
                           const std::vector<sources::MachineSpec>& machines, const std::vector<std::string>& sourcePriority) {
  CatalogResult result;
  // machine → zone ("" = region level) → kind → (record index)
  std::map<MachineKey, std::map<std::string, std::map<PriceKind, std::size_t>>> byMachine;
  std::map<MachineKey, Facts> facts;
  std::size_t unknownMachine = 0, nonPositive = 0, duplicates = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (r.usdPerHour <= 0) {
      ++nonPositive;
      continue;
    }
    Facts f;
    const sources::MachineSpec* spec = sources::findMachine(machines, r.provider, r.instanceType);
    if (!r.gpuModel.empty() && r.gpuCount > 0) {
      f = Facts{r.gpuModel, r.gpuCount, r.gpuMemoryGiB, r.vcpus, r.ramGiB};
      if (spec && spec->gpuModel == r.gpuModel) {
        if (f.gpuMemoryGiB == 0) f.gpuMemoryGiB = spec->gpuMemoryGiB;
        if (f.vcpus == 0) f.vcpus = spec->vcpus;
        if (f.ramGiB == 0) f.ramGiB = spec->ramGiB;
      }
    } else if (spec) {
      f = Facts{spec->gpuModel, r.gpuCount > 0 ? r.gpuCount : spec->gpuCount, spec->gpuMemoryGiB,
                r.vcpus > 0 ? r.vcpus : spec->vcpus, r.ramGiB > 0 ? r.ramGiB : spec->ramGiB};
    } else {
      ++unknownMachine;
      continue;
    }
    MachineKey key{r.provider, r.region, r.instanceType, f.gpuModel, f.gpuCount};
    facts.try_emplace(key, f);
    auto& slot = byMachine[key][r.zone];
    const auto existing = slot.find(r.kind);
    if (existing == slot.end()) {
      slot[r.kind] = i;
    } else {
      ++duplicates;
      if (better(r, i, records[existing->second], existing->second, sourcePriority)) existing->second = i;
    }
  }

  std::map<std::pair<std::string, std::string>, const sources::InterruptionRecord*> bands;
  for (const auto& b : interruptions) bands[{b.region, b.instanceType}] = &b;

  std::size_t spotAbove = 0;
  for (const auto& [key, zones] : byMachine) {
    const Facts& f = facts.at(key);
    const auto regionLevel = zones.find("");
    const bool hasZones = zones.size() > (regionLevel != zones.end() ? 1u : 0u);
    for (const auto& [zone, kinds] : zones) {
      if (zone.empty() && hasZones) continue;  // folded into the zone offers below
      Offer offer;
      offer.provider = key.provider;
      offer.region = key.region;
      offer.zone = zone;
      offer.instanceType = key.instanceType;
      offer.gpuModel = f.gpuModel;
      offer.gpuCount = f.gpuCount;
      offer.gpuMemoryGiB = f.gpuMemoryGiB;
      offer.vcpus = f.vcpus;
      offer.ramGiB = f.ramGiB;
      for (const auto& [kind, index] : kinds) {
        (kind == PriceKind::Spot ? offer.spot : offer.onDemand) = toPrice(records[index]);
      }
      if (!zone.empty() && regionLevel != zones.end()) {
        for (const auto& [kind, index] : regionLevel->second) {
          auto& slot = kind == PriceKind::Spot ? offer.spot : offer.onDemand;
          // The newest wins; on a tie the zone's own price (it is more precise).
          if (!slot || records[index].asOfUnix > slot->asOfUnix) slot = toPrice(records[index]);
        }
      }
      if (key.provider == CloudProvider::Aws) {
        if (const auto b = bands.find({key.region, key.instanceType}); b != bands.end()) offer.interruption = b->second->band;
      }
      if (offer.spotAboveOnDemand()) ++spotAbove;
      result.offers.push_back(std::move(offer));
    }
  }
  std::ranges::sort(result.offers, [](const Offer& a, const Offer& b) {
    return std::tie(a.provider, a.gpuModel, a.gpuCount, a.instanceType, a.region, a.zone) <
           std::tie(b.provider, b.gpuModel, b.gpuCount, b.instanceType, b.region, b.zone);
  });
  if (unknownMachine > 0) {
    result.notes.push_back(std::to_string(unknownMachine) + " prices of machine types without a known GPU left out (not in gpu-machines.csv)");
  }
  if (nonPositive > 0) result.notes.push_back(std::to_string(nonPositive) + " prices ≤ $0 left out (a missing price is never $0)");
  if (duplicates > 0) result.notes.push_back(std::to_string(duplicates) + " duplicate prices collapsed (newest first, then source priority)");
  if (spotAbove > 0) result.notes.push_back(std::to_string(spotAbove) + " offers have a spot price above on-demand (kept, flagged)");
  return result;
}

std::vector<PriceRecord> recordsFromOffers(const std::vector<Offer>& offers) {
  std::vector<PriceRecord> records;
  records.reserve(offers.size() * 2);
  for (const auto& o : offers) {
    for (const auto& [kind, price] : {std::pair{PriceKind::OnDemand, &o.onDemand}, std::pair{PriceKind::Spot, &o.spot}}) {
      if (!*price) continue;
      PriceRecord r;
      r.provider = o.provider;
      r.region = o.region;
      r.zone = o.zone;
      r.instanceType = o.instanceType;
      r.kind = kind;
      r.usdPerHour = (*price)->usdPerHour;
      r.sourceId = (*price)->sourceId;
      r.asOfUnix = (*price)->asOfUnix;
      r.gpuModel = o.gpuModel;
      r.gpuCount = o.gpuCount;
      r.gpuMemoryGiB = o.gpuMemoryGiB;
      r.vcpus = o.vcpus;
      r.ramGiB = o.ramGiB;
      records.push_back(std::move(r));
    }
  }
  return records;
}

}  // namespace spotwise::pricing
