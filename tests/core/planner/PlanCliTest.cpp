// `spotwise-cli plan` in-process: the ranking as a table and as JSON, and bad input on stderr.
#include <nlohmann/json.hpp>

#include <QTemporaryDir>

#include "CliRun.h"
#include "TestSupport.h"
#include "core/ledger/Ledger.h"

using spotwise::test::runCli;

class PlanCliTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    // No ledger of the machine's user may leak into these numbers: the default ledger does not exist.
    qputenv("SPOTWISE_LEDGER", QByteArray("/nonexistent/spotwise-test/ledger.sqlite"));
  }

  void learnsRatesFromTheLedger() {
    const auto base = runCli({"plan", "--gpu", "T4", "--hours", "20", "--checkpoint-min", "2", "--provider", "aws", "--runs", "2000", "--json"});
    QVERIFY2(base.code == 0, base.err.c_str());
    const auto first = nlohmann::json::parse(base.out)["offers"][0];
    QVERIFY(nlohmann::json::parse(base.out)["history"].is_null());
    QTemporaryDir dir;
    const std::string file = dir.filePath(QStringLiteral("ledger.sqlite")).toStdString();
    {
      auto ledger = spotwise::ledger::Ledger::open(file);
      QVERIFY(ledger);
      spotwise::ledger::JobRecord job;
      job.id = "job-1";
      job.name = "train";
      job.provider = "aws";
      job.specJson = "{}";
      job.state = "succeeded";
      job.createdMs = job.updatedMs = 1'790'000'000'000;
      QVERIFY((*ledger)->insertJob(job));
      for (int n = 1; n <= 3; ++n) {  // three spot attempts of 4 h each, the first two preempted
        spotwise::ledger::AttemptRecord a;
        a.jobId = "job-1";
        a.number = n;
        a.provider = "aws";
        a.region = first["region"].get<std::string>();
        a.zone = first["zone"].is_null() ? std::string(a.region + "a") : first["zone"].get<std::string>();
        a.instanceType = first["instanceType"].get<std::string>();
        a.spot = true;
        a.requestedMs = a.startMs = 1'790'000'000'000 + (n - 1) * 5 * 3'600'000LL;
        a.endMs = a.startMs + 4 * 3'600'000LL;
        a.endCause = n < 3 ? "preempted" : "succeeded";
        QVERIFY((*ledger)->upsertAttempt(a));
      }
    }
    const auto learned = runCli({"plan", "--gpu", "T4", "--hours", "20", "--checkpoint-min", "2", "--provider", "aws", "--runs", "2000",
                                 "--json", "--ledger", file.c_str()});
    QVERIFY2(learned.code == 0, learned.err.c_str());
    const auto j = nlohmann::json::parse(learned.out);
    QCOMPARE(j["history"]["spotAttempts"].get<int>(), 3);
    bool found = false;
    for (const auto& o : j["offers"]) {
      if (o["region"] != first["region"] || o["instanceType"] != first["instanceType"]) continue;
      found = true;
      QCOMPARE(o["hazard"]["source"].get<std::string>(), std::string("observed"));
      QCOMPARE(o["hazard"]["observations"].get<int>(), 2);
      QCOMPARE(o["hazard"]["observedHours"].get<double>(), 12.0);
      QVERIFY(!o["hazard"]["assumption"].get<bool>());
    }
    QVERIFY(found);
    // The table says how many observations back the rate; --no-history ignores them.
    const auto table = runCli({"plan", "--gpu", "T4", "--hours", "20", "--checkpoint-min", "2", "--provider", "aws", "--runs", "2000",
                               "--ledger", file.c_str()});
    QVERIFY2(table.out.find("observed (2 in 12h)") != std::string::npos, table.out.c_str());
    QVERIFY(table.err.find("preemption history: 3 spot attempt(s)") != std::string::npos);
    const auto ignored = runCli({"plan", "--gpu", "T4", "--hours", "20", "--checkpoint-min", "2", "--provider", "aws", "--runs", "2000",
                                 "--json", "--ledger", file.c_str(), "--no-history"});
    QCOMPARE(nlohmann::json::parse(ignored.out)["offers"][0]["hazard"]["source"], first["hazard"]["source"]);
    const auto missing = runCli({"plan", "--gpu", "T4", "--hours", "20", "--checkpoint-min", "2", "--ledger", "/nonexistent/x.sqlite"});
    QCOMPARE(missing.code, 2);
    QVERIFY(missing.err.find("does not exist") != std::string::npos);
  }

  void jsonRanksByExpectedCost() {
    const auto r = runCli({"plan", "--gpu", "A100-80GB", "--count", "1", "--hours", "40", "--checkpoint-min", "2", "--restart-min",
                           "6", "--risk", "typical", "--runs", "20000", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    const auto j = nlohmann::json::parse(r.out);
    QVERIFY(j["offers"].size() >= 5);
    double previous = 0;
    for (const auto& o : j["offers"]) {
      QCOMPARE(o["gpuModel"].get<std::string>(), std::string("A100-80GB"));
      const double cost = o["expected"]["costUsd"].get<double>();
      QVERIFY(cost >= previous);
      previous = cost;
      QVERIFY(o["p90"]["costUsd"].get<double>() >= o["p50"]["costUsd"].get<double>());
      QCOMPARE(o["restartHours"].get<double>(), 0.1);
      QCOMPARE(o["checkpointHours"].get<double>(), 2.0 / 60.0);
      QCOMPARE(o["workHours"].get<double>(), 40.0);
      QVERIFY(o["hazard"]["assumption"].get<bool>());
      QCOMPARE(o["hazard"]["source"].get<std::string>(), std::string("assumed default"));
      QVERIFY(o["intervalHours"].get<double>() > 0.0);
      QVERIFY(o["optimumIntervalHours"]["exact"].is_number());
      QVERIFY(!o["savingsPercent"].is_null());
    }
    QCOMPARE(j["runsPerOffer"].get<int>(), 20000);
    // The same seed gives the same numbers.
    const auto again = runCli({"plan", "--gpu", "A100-80GB", "--hours", "40", "--checkpoint-min", "2", "--restart-min", "6",
                               "--runs", "20000", "--json"});
    QCOMPARE(nlohmann::json::parse(again.out)["offers"], j["offers"]);
  }

  void tableWithAssumptionNote() {
    const auto r = runCli({"plan", "--gpu", "H100", "--count", "8", "--hours", "320", "--checkpoint-min", "5", "--runs", "2000"});
    QVERIFY2(r.code == 0, r.err.c_str());
    QVERIFY(r.out.find("exp_cost_usd") != std::string::npos);
    QVERIFY(r.out.find("checkpoint_every") != std::string::npos);
    QVERIFY(r.err.find("ranked by expected cost") != std::string::npos);
    QVERIFY(r.err.find("assumptions, not published figures") != std::string::npos);
    QVERIFY(r.out.find("nan") == std::string::npos);
  }

  void deadlineAndBudgetAddTheChanceOfMeetingThem() {
    const auto r = runCli({"plan", "--gpu", "A100-80GB", "--hours", "40", "--checkpoint-min", "2", "--deadline-hours", "1000",
                           "--budget", "1", "--runs", "2000"});
    QVERIFY2(r.code == 0, r.err.c_str());
    QVERIFY(r.out.find("on_target_pct") != std::string::npos);
    const auto j = nlohmann::json::parse(runCli({"plan", "--gpu", "A100-80GB", "--hours", "40", "--checkpoint-min", "2",
                                                 "--deadline-hours", "1000", "--runs", "2000", "--json"})
                                             .out);
    QCOMPARE(j["offers"][0]["targetProbability"].get<double>(), 1.0);
    QCOMPARE(j["offers"][0]["deadlineProbability"].get<double>(), 1.0);
    QVERIFY(j["offers"][0]["budgetProbability"].is_null());
    const auto none = runCli({"plan", "--gpu", "A100-80GB", "--hours", "40", "--checkpoint-min", "2", "--runs", "2000"});
    QVERIFY(none.out.find("on_target_pct") == std::string::npos);
  }

  void riskAndPreemptibleChangeTheNumbers() {
    const auto typical = nlohmann::json::parse(
        runCli({"plan", "--gpu", "H100", "--hours", "40", "--checkpoint-min", "2", "--provider", "gcp", "--runs", "5000", "--json"}).out);
    const auto pessimistic = nlohmann::json::parse(runCli({"plan", "--gpu", "H100", "--hours", "40", "--checkpoint-min", "2",
                                                           "--provider", "gcp", "--risk", "pessimistic", "--runs", "5000", "--json"})
                                                       .out);
    QVERIFY(pessimistic["offers"][0]["hazard"]["ratePerHour"].get<double>() > typical["offers"][0]["hazard"]["ratePerHour"].get<double>());
    const auto preemptible = nlohmann::json::parse(runCli({"plan", "--gpu", "H100", "--hours", "40", "--checkpoint-min", "2",
                                                           "--provider", "gcp", "--gcp-preemptible", "--runs", "5000", "--json"})
                                                       .out);
    QCOMPARE(preemptible["offers"][0]["hazard"]["maxUptimeHours"].get<double>(), 24.0);
    QVERIFY(typical["offers"][0]["hazard"]["maxUptimeHours"].is_null());
  }

  void badInputOnStderr() {
    auto r = runCli({"plan", "--gpu", "A100-80GB", "--hours", "0", "--checkpoint-min", "2"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.find("--hours: The work must be more than 0 GPU-hours") != std::string::npos, r.err.c_str());
    r = runCli({"plan", "--gpu", "A100-80GB", "--hours", "-5", "--checkpoint-min", "2"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.find("--hours") != std::string::npos, r.err.c_str());
    r = runCli({"plan", "--gpu", "A100-80GB", "--hours", "40", "--checkpoint-min", "30", "--interval-hours", "0.25"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.find("--interval-hours: The checkpoint (30 min) takes longer than the interval") != std::string::npos);
    r = runCli({"plan", "--gpu", "A100-80GB", "--hours", "40", "--checkpoint-min", "2", "--rate", "-1"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.find("--rate: The preemption rate must be in [0, ∞)") != std::string::npos);
    r = runCli({"plan", "--gpu", "A100-80GB", "--checkpoint-min", "2"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.find("--hours") != std::string::npos);
    r = runCli({"plan", "--gpu", "RTX-9999", "--hours", "40", "--checkpoint-min", "2"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.find("no offers to plan") != std::string::npos, r.err.c_str());
    QVERIFY(r.out.empty());
  }

  void helpExplainsTheModel() {
    const auto r = runCli({"plan", "--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.find("Spot Instance Advisor") != std::string::npos);
    QVERIFY(r.out.find("--checkpoint-min") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(PlanCliTest)
#include "PlanCliTest.moc"
