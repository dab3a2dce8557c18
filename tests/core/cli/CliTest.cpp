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

  // The interruption band (as the Prices page's column words it) and where each price comes from, in all three outputs.
  void pricesShowInterruptionBandsAndSources() {
    const auto table = runCli({"prices", "--provider", "aws", "--gpu", "T4", "--region", "us-east-1", "--count", "1"});
    QCOMPARE(table.code, 0);
    QCOMPARE(table.out,
             std::string("provider  region     zone      instance_type  gpu  gpus  vcpus  ram_gib  on_demand_usd_h  spot_usd_h  savings_pct  interruptions  as_of\n"
                         "aws       us-east-1  use1-az2  g4dn.xlarge    T4      1      4       16           0.5260      0.2000         62.0  15-20%         2026-11-28T00:00:00Z\n"
                         "aws       us-east-1  use1-az5  g4dn.xlarge    T4      1      4       16           0.5260      0.2020         61.6  15-20%         2026-11-28T00:00:00Z\n"
                         "aws       us-east-1  use1-az4  g4dn.xlarge    T4      1      4       16           0.5260      0.2039         61.2  15-20%         2026-11-28T00:00:00Z\n"
                         "aws       us-east-1  use1-az6  g4dn.xlarge    T4      1      4       16           0.5260      0.2043         61.2  15-20%         2026-11-28T00:00:00Z\n"
                         "aws       us-east-1  use1-az1  g4dn.xlarge    T4      1      4       16           0.5260      0.2158         59.0  15-20%         2026-11-28T00:00:00Z\n"));

    // No band published for g5.12xlarge in ap-east-1: "-" in the table, empty in the CSV, null in JSON.
    const auto none = runCli({"prices", "--provider", "aws", "--gpu", "A10G", "--region", "ap-east-1"});
    QCOMPARE(none.code, 0);
    QVERIFY2(none.out.find("       66.6  -              2026-11-28T00:00:00Z\n") != std::string::npos, none.out.c_str());
    const auto csv = runCli({"prices", "--provider", "aws", "--gpu", "A10G", "--region", "ap-east-1", "--csv"});
    QCOMPARE(csv.code, 0);
    QCOMPARE(csv.out,
             std::string("provider,region,zone,instance_type,gpu,gpus,vcpus,ram_gib,on_demand_usd_h,spot_usd_h,savings_pct,"
                         "interruptions,on_demand_source,on_demand_as_of,spot_source,spot_as_of\n"
                         "aws,ap-east-1,ape1-az1,g5.12xlarge,A10G,4,48,192,8.7324,2.9157,66.6,,skypilot-aws,2026-11-28T00:00:00Z,skypilot-aws,2026-11-28T00:00:00Z\n"
                         "aws,ap-east-1,ape1-az2,g5.12xlarge,A10G,4,48,192,8.7324,5.6978,34.8,,skypilot-aws,2026-11-28T00:00:00Z,skypilot-aws,2026-11-28T00:00:00Z\n"));
    const auto banded = runCli({"prices", "--provider", "aws", "--gpu", "T4", "--region", "us-east-1", "--count", "1", "--csv"});
    QVERIFY2(banded.out.find("\naws,us-east-1,use1-az2,g4dn.xlarge,T4,1,4,16,0.5260,0.2000,62.0,15-20%,skypilot-aws,2026-11-28T00:00:00Z,"
                             "skypilot-aws,2026-11-28T00:00:00Z\n") != std::string::npos,
             banded.out.c_str());

    const auto json = runCli({"prices", "--provider", "aws", "--json"});
    QCOMPARE(json.code, 0);
    const auto j = nlohmann::json::parse(json.out);
    QCOMPARE(j["offers"].size(), std::size_t{90});
    std::size_t withBand = 0;
    for (const auto& o : j["offers"]) {
      if (o["interruption"].is_null()) continue;
      ++withBand;
      if (o["instanceType"] == "g4dn.xlarge" && o["zone"] == "use1-az2") {
        QCOMPARE(o["interruption"], nlohmann::json::parse(R"({"band":"15-20%","bandIndex":3,"minMonthlyPercent":15.0,)"
                                                          R"("maxMonthlyPercent":20.0,"source":"aws-spot-advisor"})"));
      }
      if (o["instanceType"] == "g5.12xlarge" && o["region"] == "ap-east-1") QFAIL("ap-east-1 g5.12xlarge has no published band");
    }
    QCOMPARE(withBand, std::size_t{71});  // as many as the embedded snapshot holds
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
