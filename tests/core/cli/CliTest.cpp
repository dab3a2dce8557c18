// spotwise-cli driven in-process, as a script would use it.
#include <nlohmann/json.hpp>

#include <QTemporaryDir>

#include "CliRun.h"
#include "TestSupport.h"
#include "core/common/Version.h"

using spotwise::test::runCli;

class CliTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void version() {
    const auto r = runCli({"--version"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, std::string("spotwise-cli ") + spotwise::kVersion + "\n");
  }

  void pricesJsonFiltersByGpuAndProvider() {
    const auto r = runCli({"prices", "--gpu", "T4", "--provider", "azure", "--json"});
    QCOMPARE(r.code, 0);
    const auto j = nlohmann::json::parse(r.out);
    QVERIFY(j["offers"].size() > 10);
    double previous = 0;
    for (const auto& o : j["offers"]) {
      QCOMPARE(o["provider"].get<std::string>(), std::string("azure"));
      QCOMPARE(o["gpuModel"].get<std::string>(), std::string("T4"));
      if (!o["spot"].is_null()) {
        const double spot = o["spot"]["usdPerHour"].get<double>();
        QVERIFY(spot >= previous);  // cheapest spot first
        previous = spot;
        QCOMPARE(o["spot"]["asOf"].get<std::string>(), std::string("2026-11-28T00:00:00Z"));
      }
    }
    // Standard_NC4as_T4_v3 in eastus, straight from the catalog row.
    bool found = false;
    for (const auto& o : j["offers"]) {
      if (o["instanceType"] == "Standard_NC4as_T4_v3" && o["region"] == "eastus") {
        found = true;
        QCOMPARE(o["onDemand"]["usdPerHour"].get<double>(), 0.526);
        QCOMPARE(o["spot"]["usdPerHour"].get<double>(), 0.062699);
      }
    }
    QVERIFY(found);
  }

  void pricesTableAndCsv() {
    const auto table = runCli({"prices", "--gpu", "h100", "--provider", "gcp", "--region", "us-central1"});
    QCOMPARE(table.code, 0);
    QVERIFY(table.out.starts_with("provider"));
    QVERIFY(table.out.find("a3-highgpu-1g") != std::string::npos);
    QVERIFY(table.out.find("5.3833") != std::string::npos);
    QVERIFY(table.err.find("prices as of 2026-11-28") != std::string::npos);
    const auto csv = runCli({"prices", "--gpu", "H100", "--count", "8", "--csv"});
    QCOMPARE(csv.code, 0);
    QVERIFY(csv.out.starts_with("provider,region,zone,instance_type,gpu,gpus"));
    QVERIFY(csv.out.find(",H100,8,") != std::string::npos);
    QVERIFY(csv.out.find(",H100,1,") == std::string::npos);
  }

  void usageErrorsExitTwo() {
    QCOMPARE(runCli({"prices", "--provider", "ibm"}).code, 2);
    QCOMPARE(runCli({"prices", "--json", "--csv"}).code, 2);
    QCOMPARE(runCli({"prices", "--count", "0"}).code, 2);
    QCOMPARE(runCli({}).code, 2);
  }

  void snapshotFromMissingFolderFails() {
    QCOMPARE(runCli({"prices", "snapshot", "--from", "/nonexistent"}).code, 2);
    QTemporaryDir empty;
    const auto r = runCli({"prices", "snapshot", "--from", empty.path().toUtf8().constData()});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.find("manifest.json") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(CliTest)
#include "CliTest.moc"
