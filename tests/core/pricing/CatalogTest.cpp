#include "TestSupport.h"
#include "core/pricing/Catalog.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace spotwise::pricing::sources;

namespace {
PriceRecord rec(CloudProvider p, const char* region, const char* zone, const char* type, PriceKind kind, double usd,
                const char* source, std::int64_t asOf) {
  PriceRecord r;
  r.provider = p;
  r.region = region;
  r.zone = zone;
  r.instanceType = type;
  r.kind = kind;
  r.usdPerHour = usd;
  r.sourceId = source;
  r.asOfUnix = asOf;
  return r;
}
const Offer* find(const CatalogResult& c, const char* region, const char* zone, const char* type) {
  for (const auto& o : c.offers) {
    if (o.region == region && o.zone == zone && o.instanceType == type) return &o;
  }
  return nullptr;
}
}  // namespace

class CatalogTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void missingPriceStaysMissingAndGpuFactsComeFromTheTable() {
    // Only a spot price for p3.8xlarge: the offer has no on-demand price (not $0).
    auto c = buildCatalog({rec(CloudProvider::Aws, "us-east-1", "", "p3.8xlarge", PriceKind::Spot, 3.672, "aws-spot-feed", 10)}, {},
                          builtinMachines());
    QCOMPARE(c.offers.size(), std::size_t{1});
    const auto& o = c.offers[0];
    QVERIFY(!o.onDemand);
    QCOMPARE(o.spot->usdPerHour, 3.672);
    QCOMPARE(o.gpuModel, std::string("V100"));
    QCOMPARE(o.gpuCount, 4);
    QCOMPARE(o.vcpus, 32.0);
    QCOMPARE(o.ramGiB, 244.0);
    QVERIFY(!o.savingsPercent());
  }

  void nonGpuMachinesAndZeroPricesAreLeftOutWithNotes() {
    auto c = buildCatalog({rec(CloudProvider::Aws, "us-east-1", "", "m5.large", PriceKind::Spot, 0.04, "feed", 1),
                           rec(CloudProvider::Aws, "us-east-1", "", "g5.xlarge", PriceKind::OnDemand, 0.0, "feed", 1)},
                          {}, builtinMachines());
    QCOMPARE(c.offers.size(), std::size_t{0});
    QCOMPARE(c.notes, (std::vector<std::string>{"1 prices of machine types without a known GPU left out (not in gpu-machines.csv)",
                                                "1 prices ≤ $0 left out (a missing price is never $0)"}));
  }

  void spotAboveOnDemandIsKeptAndFlagged() {
    auto c = buildCatalog({rec(CloudProvider::Gcp, "europe-west4", "", "a2-ultragpu-1g", PriceKind::OnDemand, 5.0, "g", 1),
                           rec(CloudProvider::Gcp, "europe-west4", "", "a2-ultragpu-1g", PriceKind::Spot, 5.5, "g", 1)},
                          {}, builtinMachines());
    QCOMPARE(c.offers.size(), std::size_t{1});
    QVERIFY(c.offers[0].spotAboveOnDemand());
    QCOMPARE(c.notes, (std::vector<std::string>{"1 offers have a spot price above on-demand (kept, flagged)"}));
  }

  void duplicatesCollapseNewestThenPriorityThenFirst() {
    const auto od = PriceKind::OnDemand;
    auto c = buildCatalog({rec(CloudProvider::Aws, "us-east-1", "", "g5.xlarge", od, 1.00, "snapshot", 100),
                           rec(CloudProvider::Aws, "us-east-1", "", "g5.xlarge", od, 1.006, "aws-offer", 200),   // newest wins
                           rec(CloudProvider::Aws, "us-west-2", "", "g5.xlarge", od, 1.10, "snapshot", 300),
                           rec(CloudProvider::Aws, "us-west-2", "", "g5.xlarge", od, 1.20, "aws-offer", 300),    // tie: priority
                           rec(CloudProvider::Aws, "eu-west-1", "", "g5.xlarge", od, 1.30, "x", 5),
                           rec(CloudProvider::Aws, "eu-west-1", "", "g5.xlarge", od, 1.40, "x", 5)},             // tie: first
                          {}, builtinMachines(), {"aws-offer", "snapshot"});
    QCOMPARE(find(c, "us-east-1", "", "g5.xlarge")->onDemand->usdPerHour, 1.006);
    QCOMPARE(find(c, "us-west-2", "", "g5.xlarge")->onDemand->sourceId, std::string("aws-offer"));
    QCOMPARE(find(c, "eu-west-1", "", "g5.xlarge")->onDemand->usdPerHour, 1.30);
    QCOMPARE(c.notes, (std::vector<std::string>{"3 duplicate prices collapsed (newest first, then source priority)"}));
  }

  void zonePricesGetTheRegionOnDemandPrice() {
    InterruptionRecord band;
    band.region = "us-east-1";
    band.instanceType = "g4dn.xlarge";
    band.band = InterruptionBand{3, "15-20%", 15, 20, "aws-spot-advisor"};
    auto c = buildCatalog({rec(CloudProvider::Aws, "us-east-1", "", "g4dn.xlarge", PriceKind::OnDemand, 0.526, "aws-offer", 1),
                           rec(CloudProvider::Aws, "us-east-1", "", "g4dn.xlarge", PriceKind::Spot, 0.2, "aws-spot-feed", 1),
                           rec(CloudProvider::Aws, "us-east-1", "us-east-1a", "g4dn.xlarge", PriceKind::Spot, 0.21, "aws-spot-history", 2),
                           rec(CloudProvider::Aws, "us-east-1", "us-east-1b", "g4dn.xlarge", PriceKind::Spot, 0.19, "aws-spot-history", 2)},
                          {band}, builtinMachines());
    QCOMPARE(c.offers.size(), std::size_t{2});  // the region-level offer folds into the zone offers
    const auto* a = find(c, "us-east-1", "us-east-1a", "g4dn.xlarge");
    QCOMPARE(a->spot->usdPerHour, 0.21);
    QCOMPARE(a->onDemand->usdPerHour, 0.526);
    QCOMPARE(a->interruption->label, std::string("15-20%"));
    QCOMPARE(find(c, "us-east-1", "us-east-1b", "g4dn.xlarge")->spot->usdPerHour, 0.19);
  }

  void recordsFromOffersRoundTrip() {
    auto c = buildCatalog({rec(CloudProvider::Azure, "eastus", "", "Standard_NC24ads_A100_v4", PriceKind::OnDemand, 3.673, "az", 1),
                           rec(CloudProvider::Azure, "eastus", "", "Standard_NC24ads_A100_v4", PriceKind::Spot, 1.1, "az", 1)},
                          {}, builtinMachines());
    auto again = buildCatalog(recordsFromOffers(c.offers), {}, builtinMachines());
    QCOMPARE(again.offers.size(), std::size_t{1});
    QCOMPARE(again.offers[0].gpuModel, std::string("A100-80GB"));
    QCOMPARE(again.offers[0].onDemand->usdPerHour, 3.673);
    QCOMPARE(again.offers[0].spot->usdPerHour, 1.1);
  }
};

QTEST_APPLESS_MAIN(CatalogTest)
#include "CatalogTest.moc"
