#include "TestSupport.h"
#include "core/pricing/OfferQuery.h"

using namespace spotwise::pricing;

namespace {

Offer offer(CloudProvider p, std::string type, std::string gpu, int count, std::optional<double> od, std::optional<double> spot) {
  Offer o;
  o.provider = p;
  o.region = "r1";
  o.instanceType = std::move(type);
  o.gpuModel = std::move(gpu);
  o.gpuCount = count;
  if (od) o.onDemand = Price{*od, "s", 0};
  if (spot) o.spot = Price{*spot, "s", 0};
  return o;
}

}  // namespace

class OfferQueryTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void filtersAndSortsCheapestSpotFirst() {
    const std::vector<Offer> offers{offer(CloudProvider::Aws, "a", "A100-40GB", 8, 30, 12),
                                    offer(CloudProvider::Gcp, "b", "A100-40GB", 1, 3.6, 1.1),
                                    offer(CloudProvider::Azure, "c", "T4", 1, 0.5, std::nullopt),
                                    offer(CloudProvider::Aws, "d", "A100-80GB", 1, 4, 2)};
    OfferQuery q;
    q.gpuModel = "a100";  // the catalog's "A100" means the 40 GB part; case does not matter
    auto out = selectOffers(offers, q);
    QCOMPARE(out.size(), std::size_t{2});
    QCOMPARE(out[0].instanceType, std::string("b"));
    q.gpuModel = "A100-80gb";
    QCOMPARE(selectOffers(offers, q).size(), std::size_t{1});
    q = {};
    q.spotOnly = true;
    QCOMPARE(selectOffers(offers, q).size(), std::size_t{3});
    q = {};
    q.provider = CloudProvider::Aws;
    q.minGpuCount = 2;
    QCOMPARE(selectOffers(offers, q).size(), std::size_t{1});
    q = {};
    q.exactGpuCount = 1;
    out = selectOffers(offers, q);
    QCOMPARE(out.size(), std::size_t{3});
    QCOMPARE(out.back().instanceType, std::string("c"));  // no spot price: sorted by on-demand after
  }

  void savingsAndFlags() {
    auto o = offer(CloudProvider::Gcp, "x", "A100-80GB", 2, 4.0657, 4.3252);
    QVERIFY(o.spotAboveOnDemand());
    QVERIFY(*o.savingsPercent() < 0);
    o.onDemand.reset();
    QVERIFY(!o.savingsPercent());
    QVERIFY(!o.spotAboveOnDemand());
  }
};

QTEST_APPLESS_MAIN(OfferQueryTest)
#include "OfferQueryTest.moc"
