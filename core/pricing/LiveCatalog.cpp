#include "core/pricing/LiveCatalog.h"

#include <iterator>

namespace spotwise::pricing {

namespace {

PriceSource liveSource(const std::string& id, std::int64_t fetchedUnix) {
  PriceSource s;
  s.id = id;
  s.asOfUnix = fetchedUnix;
  if (id == "aws-offer") {
    s.description = "AWS Price List bulk offer files (on-demand, Linux)";
    s.url = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/region_index.json";
  } else if (id == "aws-spot-history") {
    s.description = "AWS EC2 DescribeSpotPriceHistory (signed; Linux/UNIX, per zone, price in effect at fetch time)";
    s.url = "https://ec2.<region>.amazonaws.com/?Action=DescribeSpotPriceHistory";
  } else if (id == "aws-spot-feed") {
    s.description = "AWS website spot price feed (Linux, per region)";
    s.url = "https://spot-price.s3.amazonaws.com/spot.js";
  } else if (id == "aws-spot-advisor") {
    s.description = "AWS Spot Instance Advisor interruption bands";
    s.url = "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json";
    s.interruptionsOnly = true;
  } else if (id == "azure-retail") {
    s.provider = CloudProvider::Azure;
    s.description = "Azure Retail Prices API (Linux, Consumption and Spot)";
    s.url = "https://prices.azure.com/api/retail/prices";
  } else {
    s.provider = CloudProvider::Gcp;
    s.description = "GCP Cloud Billing Catalog, Compute Engine SKUs (composed machine prices)";
    s.url = "https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus";
  }
  return s;
}

}  // namespace

Result<void> storeRefresh(PriceHistory& history, const std::vector<SourceOutcome>& outcomes) {
  for (const auto& o : outcomes) {
    Result<void> r;
    if (o.state == SourceOutcome::State::Fresh) {
      r = history.recordSuccess(o.sourceId, o.finishedUnix, o.result.parsed);
    } else if (o.state == SourceOutcome::State::Failed) {
      r = history.recordFailure(o.sourceId, o.finishedUnix, o.error);
    }
    if (!r) return r;
  }
  return {};
}

Result<LiveCatalog> assembleLiveCatalog(PriceHistory& history, const Snapshot& embedded) {
  LiveCatalog live;
  std::vector<sources::PriceRecord> records = recordsFromOffers(embedded.offers);
  std::vector<sources::InterruptionRecord> bands;
  for (const auto& o : embedded.offers) {
    if (o.interruption) bands.push_back({o.provider, o.region, o.instanceType, *o.interruption, std::nullopt});
  }
  std::vector<std::string> priority;
  std::vector<sources::InterruptionRecord> liveBands;
  for (const auto& id : liveSourceIds()) {
    auto good = history.lastGood(id);
    if (!good) return good.error();
    if (!*good) continue;
    priority.push_back(id);
    live.sources.push_back(liveSource(id, (*good)->fetchedUnix));
    std::ranges::move((*good)->parsed.records, std::back_inserter(records));
    std::ranges::move((*good)->parsed.interruptions, std::back_inserter(liveBands));
  }
  // Live bands replace the snapshot's for the same machine (later entries win in buildCatalog).
  std::ranges::move(liveBands, std::back_inserter(bands));
  for (const auto& s : embedded.sources) priority.push_back(s.id);
  auto catalog = buildCatalog(records, bands, sources::builtinMachines(), priority);
  live.offers = std::move(catalog.offers);
  live.notes = embedded.notes;
  std::ranges::move(catalog.notes, std::back_inserter(live.notes));
  std::vector<PriceSource> all = embedded.sources;
  std::ranges::move(live.sources, std::back_inserter(all));
  live.sources = std::move(all);
  return live;
}

}  // namespace spotwise::pricing
