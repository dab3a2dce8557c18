// The comparisons the Prices page's charts draw: the cheapest on-demand and spot price per provider for
// one GPU configuration, and the top savings; expected values worked out by hand from the offers below.
#include <cmath>

#include "TestSupport.h"
#include "core/pricing/Comparison.h"

using namespace spotwise::pricing;

namespace {
Offer offer(CloudProvider provider, const char* type, const char* region, const char* gpu, int count, std::optional<double> onDemand,
            std::optional<double> spot, const char* zone = "") {
  Offer o;
  o.provider = provider;
  o.instanceType = type;
  o.region = region;
  o.zone = zone;
  o.gpuModel = gpu;
  o.gpuCount = count;
  if (onDemand) o.onDemand = Price{*onDemand, "test", 0};
  if (spot) o.spot = Price{*spot, "test", 0};
  return o;
}

std::vector<std::string> names(const std::vector<Offer>& offers) {
  std::vector<std::string> out;
  for (const auto& o : offers) out.push_back(o.instanceType + " " + o.region);
  return out;
}
}  // namespace

class ComparisonTest : public QObject {
  Q_OBJECT

  // Offers of several configurations; the A100-80GB × 8 ones are what cheapestByProvider compares.
  const std::vector<Offer> m_offers{
      offer(CloudProvider::Azure, "Standard_ND96amsr_A100_v4", "eastus", "A100-80GB", 8, 32.77, 16.39),
      offer(CloudProvider::Aws, "p4de.24xlarge", "us-east-1", "A100-80GB", 8, 40.96, 15.60, "us-east-1a"),
      offer(CloudProvider::Aws, "p4de.24xlarge", "us-east-1", "A100-80GB", 8, 40.96, 12.30, "us-east-1b"),
      offer(CloudProvider::Aws, "p4de.24xlarge", "us-west-2", "A100-80GB", 8, 38.00, std::nullopt),
      offer(CloudProvider::Aws, "p4d.24xlarge", "us-east-1", "A100-40GB", 8, 32.77, 9.00),       // other GPU model
      offer(CloudProvider::Gcp, "a2-ultragpu-4g", "us-central1", "A100-80GB", 4, 20.11, 6.00),  // other count
      offer(CloudProvider::Gcp, "a2-ultragpu-8g", "us-central1", "A100-80GB", 8, std::nullopt, 12.00),
      offer(CloudProvider::Gcp, "a2-ultragpu-8g", "europe-west4", "A100-80GB", 8, std::nullopt, 13.00),
      offer(CloudProvider::Azure, "Standard_ND96amsr_A100_v4", "westeurope", "A100-80GB", 8, 34.00, 20.00),
  };

 private Q_SLOTS:
  void cheapestPerProviderTakesEachPriceFromItsCheapestOffer() {
    const auto c = cheapestByProvider(m_offers, "A100-80GB", 8);
    QCOMPARE(c.size(), std::size_t{3});
    // AWS, GCP, Azure in that order, whatever the input order.
    QCOMPARE(c[0].provider, CloudProvider::Aws);
    QCOMPARE(c[1].provider, CloudProvider::Gcp);
    QCOMPARE(c[2].provider, CloudProvider::Azure);
    // AWS: on-demand 38.00 in us-west-2 (which has no spot), spot 12.30 in us-east-1b: not one offer's pair.
    QCOMPARE(c[0].onDemandUsd.value(), 38.00);
    QCOMPARE(c[0].onDemandWhere, std::string("p4de.24xlarge us-west-2"));
    QCOMPARE(c[0].spotUsd.value(), 12.30);
    QCOMPARE(c[0].spotWhere, std::string("p4de.24xlarge us-east-1 (us-east-1b)"));
    // (38.00 − 12.30) / 38.00 = 25.70 / 38.00 = 67.6315… %
    QVERIFY(std::abs(c[0].savingsPercent().value() - 67.631578947) < 1e-6);
    // GCP: spot only (the 4-GPU offer's prices do not count); no on-demand is missing, not $0, and no savings.
    QVERIFY(!c[1].onDemandUsd);
    QCOMPARE(c[1].spotUsd.value(), 12.00);
    QCOMPARE(c[1].spotWhere, std::string("a2-ultragpu-8g us-central1"));
    QVERIFY(!c[1].savingsPercent());
    // Azure: eastus for both. (32.77 − 16.39) / 32.77 = 16.38 / 32.77 = 49.9847… %
    QCOMPARE(c[2].onDemandUsd.value(), 32.77);
    QCOMPARE(c[2].spotUsd.value(), 16.39);
    QVERIFY(std::abs(c[2].savingsPercent().value() - 49.984742142) < 1e-6);
  }

  void aConfigurationWithNoOfferListsEveryProviderWithoutPrices() {
    const auto c = cheapestByProvider(m_offers, "H200", 8);
    QCOMPARE(c.size(), std::size_t{3});
    for (const auto& p : c) {
      QVERIFY(!p.onDemandUsd && !p.spotUsd && !p.savingsPercent());
      QVERIFY(p.onDemandWhere.empty() && p.spotWhere.empty());
    }
    // Exact count: 8 is not "at least 4".
    QCOMPARE(cheapestByProvider(m_offers, "A100-80GB", 4)[1].spotUsd.value(), 6.00);
    QVERIFY(!cheapestByProvider(m_offers, "A100-80GB", 4)[0].spotUsd);
  }

  void topSavingsRanksOffersWithBothPricesBestFirst() {
    std::vector<Offer> offers = m_offers;
    offers.push_back(offer(CloudProvider::Aws, "g5.xlarge", "us-east-1", "A10G", 1, 1.006, 1.20));  // spot above on-demand: left out
    // Exactly 75 % each (1.5 / 2 and 0.75 / 1): a tie keeps the input order.
    offers.push_back(offer(CloudProvider::Aws, "g5.4xlarge", "us-east-1", "A10G", 1, 2.0, 0.5));
    offers.push_back(offer(CloudProvider::Aws, "g5.2xlarge", "us-east-1", "A10G", 1, 1.0, 0.25));
    // Savings by hand: g5.4xlarge 75, g5.2xlarge 75, p4d 23.77 / 32.77 = 72.535…, a2-ultragpu-4g 14.11 / 20.11 = 70.164…,
    // us-east-1b 28.66 / 40.96 = 69.970…, us-east-1a 61.914…, eastus 49.984…, westeurope 14 / 34 = 41.176…;
    // the offers missing a price have none.
    const auto top = topSavings(offers, 5);
    QCOMPARE(names(top), (std::vector<std::string>{"g5.4xlarge us-east-1", "g5.2xlarge us-east-1", "p4d.24xlarge us-east-1",
                                                   "a2-ultragpu-4g us-central1", "p4de.24xlarge us-east-1"}));
    QCOMPARE(top[4].zone, std::string("us-east-1b"));
    QVERIFY(std::abs(top[2].savingsPercent().value() - 72.535855966) < 1e-6);
    // All of them: the eight with both prices and spot ≤ on-demand, in order.
    const auto all = topSavings(offers, 100);
    QCOMPARE(all.size(), std::size_t{8});
    QCOMPARE(all.back().region, std::string("westeurope"));
    for (const auto& o : all) QVERIFY(o.onDemand && o.spot && !o.spotAboveOnDemand());
    // The pointer form ranks the same.
    std::vector<const Offer*> pointers;
    for (const auto& o : offers) pointers.push_back(&o);
    QCOMPARE(names(topSavings(pointers, 5)), names(top));
    QVERIFY(topSavings(offers, 0).empty());
  }
};

QTEST_APPLESS_MAIN(ComparisonTest)
#include "ComparisonTest.moc"
