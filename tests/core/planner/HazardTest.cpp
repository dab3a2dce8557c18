// The preemption hazard per offer: published bands, provider defaults, overrides and observed history.
#include <cmath>

#include "TestSupport.h"
#include "core/planner/Hazard.h"

using namespace spotwise::planner;
using spotwise::pricing::CloudProvider;
using spotwise::pricing::InterruptionBand;
using spotwise::pricing::Offer;

namespace {

Offer offer(CloudProvider provider, std::string instanceType = "p4d.24xlarge") {
  Offer o;
  o.provider = provider;
  o.region = "us-east-1";
  o.instanceType = std::move(instanceType);
  o.gpuModel = "A100-40GB";
  o.gpuCount = 8;
  return o;
}

InterruptionBand band(std::string label, double low, double high) {
  return InterruptionBand{1, std::move(label), low, high, "aws-spot-advisor"};
}

bool near(double a, double b, double rel = 1e-9) { return std::abs(a - b) <= rel * std::abs(b); }

}  // namespace

class HazardTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void riskPointsParse() {
    QCOMPARE(parseRiskPoint("Pessimistic"), std::optional<RiskPoint>(RiskPoint::Pessimistic));
    QCOMPARE(parseRiskPoint("typical"), std::optional<RiskPoint>(RiskPoint::Typical));
    QVERIFY(!parseRiskPoint("worst"));
    QCOMPARE(std::string(riskPointId(RiskPoint::Optimistic)), std::string("optimistic"));
  }

  void awsBandUsesTheChosenPointOfItsRange() {
    Offer o = offer(CloudProvider::Aws);
    o.interruption = band("5-10%", 5, 10);
    HazardSettings settings;
    const double expected[] = {-std::log(0.95) / 730.0, -std::log(0.925) / 730.0, -std::log(0.90) / 730.0};
    int i = 0;
    double previous = 0;
    for (RiskPoint p : {RiskPoint::Optimistic, RiskPoint::Typical, RiskPoint::Pessimistic}) {
      settings.risk = p;
      const auto h = resolveHazard(o, settings);
      QVERIFY(h);
      QCOMPARE(h->source, HazardSource::PublishedBand);
      QVERIFY(!h->assumption);
      QVERIFY2(near(h->ratePerHour, expected[i]), h->basis.c_str());
      QVERIFY(h->ratePerHour > previous);
      QVERIFY(h->basis.find("5-10%") != std::string::npos);
      QVERIFY(h->basis.find(std::string(riskPointId(p))) != std::string::npos);
      previous = h->ratePerHour;
      ++i;
    }
    QVERIFY(near(1.0679663215029e-4, -std::log(0.925) / 730.0));  // the typical point, by hand
  }

  void openAndZeroEndedBandsAreReadAsDocumented() {
    const auto top = effectiveBandRange(band(">20%", 20, 100));
    QVERIFY(top);
    QCOMPARE(top->lowPercent, 20.0);
    QCOMPARE(top->highPercent, 30.0);
    const auto lowest = effectiveBandRange(band("<5%", 0, 5));
    QVERIFY(lowest);
    QCOMPARE(lowest->lowPercent, 1.0);
    QCOMPARE(lowest->highPercent, 5.0);
    QCOMPARE(pointOfRange(*lowest, RiskPoint::Typical), 3.0);
  }

  void malformedBandsAreErrors() {
    for (const auto& b : {band("x", -1, 5), band("x", 10, 5), band("x", std::nan(""), 5), band("x", 5, 150)}) {
      const auto r = effectiveBandRange(b);
      QVERIFY(!r);
      QCOMPARE(r.error().code, spotwise::ErrorCode::InvalidArgument);
      Offer o = offer(CloudProvider::Aws);
      o.interruption = b;
      QVERIFY(!resolveHazard(o, {}));
    }
  }

  void offersWithoutABandGetAMarkedProviderDefault() {
    HazardSettings settings;
    const auto aws = resolveHazard(offer(CloudProvider::Aws), settings);
    QVERIFY(aws);
    QCOMPARE(aws->source, HazardSource::ProviderDefault);
    QVERIFY(aws->assumption);
    QVERIFY(near(aws->ratePerHour, -std::log(0.90) / 24.0));
    QVERIFY(aws->basis.find("assumed") != std::string::npos);
    QVERIFY(!aws->maxUptimeHours);

    const auto azure = resolveHazard(offer(CloudProvider::Azure, "Standard_NC24ads_A100_v4"), settings);
    QVERIFY(azure && azure->assumption);
    QVERIFY(near(azure->ratePerHour, -std::log(0.90) / 24.0));

    const auto gcpSpot = resolveHazard(offer(CloudProvider::Gcp, "a2-highgpu-1g"), settings);
    QVERIFY(gcpSpot && gcpSpot->assumption);
    QVERIFY(near(gcpSpot->ratePerHour, -std::log(0.90) / 24.0));
    QVERIFY(!gcpSpot->maxUptimeHours);
  }

  void gcpPreemptibleVmsStopAfter24Hours() {
    HazardSettings settings;
    settings.gcpVmKind = GcpVmKind::Preemptible;
    const auto h = resolveHazard(offer(CloudProvider::Gcp, "a2-highgpu-1g"), settings);
    QVERIFY(h);
    QCOMPARE(h->maxUptimeHours, std::optional<double>(24.0));
    QVERIFY(h->basis.find("24 h") != std::string::npos);
    // The cap is GCP's alone.
    QVERIFY(!resolveHazard(offer(CloudProvider::Aws), settings)->maxUptimeHours);
  }

  void overridesWinInOrder() {
    Offer o = offer(CloudProvider::Aws);
    o.interruption = band("5-10%", 5, 10);
    HazardSettings settings;
    settings.history = [](const Offer&) { return std::optional<ObservedPreemptions>({3, 120.0}); };
    settings.overrideRatePerHour = 0.02;
    settings.offerOverrides[offerKey(o)] = 0.5;
    auto h = resolveHazard(o, settings);
    QCOMPARE(h->ratePerHour, 0.5);
    QCOMPARE(h->source, HazardSource::UserOverride);
    settings.offerOverrides.clear();
    h = resolveHazard(o, settings);
    QCOMPARE(h->ratePerHour, 0.02);
    QCOMPARE(h->source, HazardSource::UserOverride);
    settings.overrideRatePerHour.reset();
    h = resolveHazard(o, settings);
    QCOMPARE(h->source, HazardSource::Observed);
    settings.history = nullptr;
    QCOMPARE(resolveHazard(o, settings)->source, HazardSource::PublishedBand);
  }

  void observedHistoryGivesCountOverHours() {
    HazardSettings settings;
    const Offer watched = offer(CloudProvider::Gcp, "a2-highgpu-1g");
    settings.history = [key = offerKey(watched)](const Offer& o) -> std::optional<ObservedPreemptions> {
      if (offerKey(o) == key) return ObservedPreemptions{3, 120.0};
      return std::nullopt;
    };
    const auto h = resolveHazard(watched, settings);
    QVERIFY(h);
    QCOMPARE(h->source, HazardSource::Observed);
    // The assumed GCP rate (typical: 10 % a day, λ₀ = −ln 0.9 / 24 h) counts as 24 instance-hours:
    // (3 + λ₀·24) / (120 + 24), by hand = 3.10536 / 144 = 0.021565
    const double prior24 = -std::log(0.9);
    QVERIFY2(std::abs(h->ratePerHour - (3.0 + prior24) / 144.0) < 1e-12, std::to_string(h->ratePerHour).c_str());
    QVERIFY(std::abs(h->ratePerHour - 0.021565) < 1e-6);
    QCOMPARE(h->observations, 3);
    QCOMPARE(h->observedHours, 120.0);
    QVERIFY(!h->assumption);
    QVERIFY2(h->basis.find("3 preemption(s) in 120.0 instance-hours") != std::string::npos, h->basis.c_str());
    // Another offer has no history: back to the default.
    QCOMPARE(resolveHazard(offer(CloudProvider::Gcp, "a2-highgpu-2g"), settings)->source, HazardSource::ProviderDefault);
    // Zero preemptions in 50 h lowers the rate but never to 0; a long clean history takes it near 0.
    settings.history = [](const Offer&) { return std::optional<ObservedPreemptions>({0, 50.0}); };
    QVERIFY(std::abs(resolveHazard(watched, settings)->ratePerHour - prior24 / 74.0) < 1e-12);
    settings.history = [](const Offer&) { return std::optional<ObservedPreemptions>({0, 100000.0}); };
    QVERIFY(resolveHazard(watched, settings)->ratePerHour < 2e-6);
    // Many observations decide it: 300 in 12,000 h is 0.025 whatever the prior.
    settings.history = [](const Offer&) { return std::optional<ObservedPreemptions>({300, 12000.0}); };
    QVERIFY(std::abs(resolveHazard(watched, settings)->ratePerHour - 0.025) < 1e-4);
  }

  void badRatesAreErrorsNotNaN() {
    HazardSettings settings;
    for (double bad : {-0.1, std::nan(""), std::numeric_limits<double>::infinity()}) {
      settings.overrideRatePerHour = bad;
      const auto h = resolveHazard(offer(CloudProvider::Aws), settings);
      QVERIFY(!h);
      QCOMPARE(h.error().code, spotwise::ErrorCode::InvalidArgument);
      QVERIFY2(h.error().message.find("[0, ∞)") != std::string::npos, h.error().message.c_str());
    }
    settings.overrideRatePerHour.reset();
    settings.history = [](const Offer&) { return std::optional<ObservedPreemptions>({2, 0.0}); };
    QVERIFY(!resolveHazard(offer(CloudProvider::Aws), settings));
    settings.history = [](const Offer&) { return std::optional<ObservedPreemptions>({-1, 10.0}); };
    QVERIFY(!resolveHazard(offer(CloudProvider::Aws), settings));
  }

  void helpTextNamesEveryAssumption() {
    const std::string help = hazardModelHelp();
    for (const char* needle : {"Spot Instance Advisor", "730 h", "optimistic", "pessimistic", "ASSUME 5–15 % per day",
                               "5–15 % per day", "24 h", "Azure", "instance-hours", "Daly", "Young"}) {
      QVERIFY2(help.find(needle) != std::string::npos, needle);
    }
  }
};

QTEST_APPLESS_MAIN(HazardTest)
#include "HazardTest.moc"
