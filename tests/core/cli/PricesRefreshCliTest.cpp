// `spotwise-cli prices refresh` in-process against the loopback fixture server: the GCP Billing API
// key from $SPOTWISE_GCP_API_KEY or --gcp-api-key-file (never an option value), GCP and the signed
// AWS source skipped with the reason when their credentials are missing (failed, naming the step,
// when the AWS chain breaks), and `prices` listing the stored live data afterwards.
#include <QFile>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "CliRun.h"
#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/common/Time.h"
#include "core/http/CurlHttpClient.h"

using spotwise::test::runCli;

class PricesRefreshCliTest : public QObject {
  Q_OBJECT

  spotwise::test::LoopbackServer m_server = spotwise::test::LoopbackServer::httpFixture((spotwise::test::sourceDir() / "tests/data").string());
  spotwise::http::CurlHttpClient m_client;
  QTemporaryDir m_dir;
  std::string m_endpoints;

  void script(const std::string& path, const nlohmann::json& steps) {
    spotwise::http::Request r;
    r.method = "POST";
    r.url = m_server.url("/__script?path=" + path);
    r.body = steps.dump();
    QVERIFY(m_client.send(r));
  }
  nlohmann::json requests() {
    spotwise::http::Request r;
    r.url = m_server.url("/__requests");
    return nlohmann::json::parse(m_client.send(r)->body);
  }
  static std::string data(const char* rel) { return spotwise::test::readText(spotwise::test::sourceDir() / "tests/data/pricing" / rel); }

  void scriptGcp() {
    // The fixture page names a next page; the second (empty) page ends the paging.
    script("/gcp/skus", {{{"status", 200}, {"body", data("gcp/opencost_provider_test_skus_page_A100_A2.json")}},
                         {{"status", 200}, {"body", nlohmann::json{{"skus", nlohmann::json::array()}, {"nextPageToken", ""}}.dump()}}});
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY2(m_server.running(), "the fixture server (python3) did not start");
    // No AWS credentials of the machine's user, no GCP key, no stored prices.
    for (const char* var : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "SPOTWISE_GCP_API_KEY",
                            "SPOTWISE_PRICES_DB"}) {
      qunsetenv(var);
    }
    qputenv("AWS_SHARED_CREDENTIALS_FILE", m_dir.filePath(QStringLiteral("no-credentials")).toUtf8());
    qputenv("AWS_CONFIG_FILE", m_dir.filePath(QStringLiteral("no-config")).toUtf8());
    m_endpoints = m_dir.filePath(QStringLiteral("endpoints.json")).toStdString();
    std::ofstream(m_endpoints) << nlohmann::json{{"awsRegionIndexUrl", m_server.url("/aws/region_index.json")},
                                                 {"awsOfferBase", m_server.url("")},
                                                 {"awsSpotFeedUrl", m_server.url("/aws/spot.js")},
                                                 {"awsAdvisorUrl", m_server.url("/aws/advisor.json")},
                                                 {"azureRetailUrl", m_server.url("/azure/prices")},
                                                 {"gcpBillingUrl", m_server.url("/gcp/skus")}}
                                          .dump();
    script("/aws/region_index.json",
           {{{"status", 200},
             {"body", nlohmann::json{{"regions", {{"us-east-2", {{"currentVersionUrl", "/files/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json"}}}}}}.dump()}}});
    script("/aws/spot.js", {{{"status", 200}, {"body", data("aws/spot-price-test-data.json")}}});
    script("/aws/advisor.json", {{{"status", 200}, {"body", "{\"ranges\":[{\"index\":0,\"label\":\"<5%\"}],\"spot_advisor\":{}}"}}});
    script("/azure/prices", {{{"status", 200}, {"body", data("azure/derived_page_B16als_v2_13-rows.json")}}});
    scriptGcp();
  }

  void withoutKeysGcpAndSignedAwsAreSkippedWithTheReason() {
    const std::string db = m_dir.filePath(QStringLiteral("a/prices.sqlite")).toStdString();
    const auto r = runCli({"prices", "refresh", "--db", db.c_str(), "--endpoints", m_endpoints.c_str(), "--aws-regions", "us-east-2", "--json"});
    QVERIFY2(r.code == 0, (r.out + r.err).c_str());
    const auto j = nlohmann::json::parse(r.out);
    std::map<std::string, nlohmann::json> by;
    for (const auto& s : j["sources"]) by[s["source"].get<std::string>()] = s;
    QCOMPARE(by.size(), std::size_t{6});
    QCOMPARE(by["aws-offer"]["state"].get<std::string>(), std::string("fresh"));
    QCOMPARE(by["azure-retail"]["state"].get<std::string>(), std::string("fresh"));
    QCOMPARE(by["gcp-billing"]["state"].get<std::string>(), std::string("skipped"));
    QVERIFY2(by["gcp-billing"]["why"].get<std::string>().find("no Cloud Billing API key") != std::string::npos, r.out.c_str());
    QVERIFY(by["gcp-billing"]["why"].get<std::string>().find("SPOTWISE_GCP_API_KEY") != std::string::npos);
    QCOMPARE(by["aws-spot-history"]["state"].get<std::string>(), std::string("skipped"));
    QVERIFY(by["aws-spot-history"]["why"].get<std::string>().find("no AWS credentials") != std::string::npos);
    for (const auto& req : requests()) QVERIFY(req.dump().find("/gcp/skus") == std::string::npos);

    // `prices` now lists the live data stored by the refresh, over the snapshot.
    const auto listed = runCli({"prices", "--db", db.c_str(), "--json"});
    QCOMPARE(listed.code, 0);
    bool live = false;
    const auto listedJson = nlohmann::json::parse(listed.out);
    for (const auto& s : listedJson["sources"]) live = live || s["id"] == "aws-offer";
    QVERIFY2(live, listedJson["sources"].dump().c_str());
    const auto table = runCli({"prices", "--db", db.c_str(), "--gpu", "V100"});
    QVERIFY2(table.err.find("live prices from") != std::string::npos, table.err.c_str());
    // The CSV says which source each price is from, and when it was fetched.
    const auto csv = runCli({"prices", "--db", db.c_str(), "--gpu", "V100", "--region", "us-east-2", "--csv"});
    QCOMPARE(csv.code, 0);
    std::istringstream lines(csv.out);
    std::string line;
    bool sawLive = false;
    while (std::getline(lines, line)) {
      if (line.find(",p3.8xlarge,") == std::string::npos) continue;
      std::vector<std::string> cells;
      std::istringstream fields(line);
      for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
      QCOMPARE(cells.size(), std::size_t{16});
      QCOMPARE(cells[8], std::string("12.2400"));
      QCOMPARE(cells[12], std::string("aws-offer"));
      const auto fetched = spotwise::parseIso8601Utc(cells[13]);
      QVERIFY2(fetched && std::abs(*fetched - static_cast<std::int64_t>(std::time(nullptr))) < 600, cells[13].c_str());  // fetched now
      sawLive = true;
    }
    QVERIFY2(sawLive, csv.out.c_str());
  }

  void keyFromTheEnvironmentOrAFileLoadsGcp() {
    const std::string db = m_dir.filePath(QStringLiteral("b/prices.sqlite")).toStdString();
    qputenv("SPOTWISE_GCP_API_KEY", "test-env-key-42");
    const auto r = runCli({"prices", "refresh", "--db", db.c_str(), "--endpoints", m_endpoints.c_str(), "--aws-regions", "us-east-2"});
    qunsetenv("SPOTWISE_GCP_API_KEY");
    QVERIFY2(r.code == 0, (r.out + r.err).c_str());
    QVERIFY2(r.out.find("gcp-billing       fresh") != std::string::npos, r.out.c_str());
    QVERIFY(r.out.find("test-env-key-42") == std::string::npos);
    QVERIFY(r.err.find("test-env-key-42") == std::string::npos);
    bool sent = false;
    for (const auto& req : requests()) sent = sent || req.dump().find("key=test-env-key-42") != std::string::npos;
    QVERIFY(sent);

    scriptGcp();
    const std::string keyFile = m_dir.filePath(QStringLiteral("gcp.key")).toStdString();
    std::ofstream(keyFile) << "test-file-key-7\n";
    const auto fromFile = runCli({"prices", "refresh", "--db", db.c_str(), "--endpoints", m_endpoints.c_str(), "--aws-regions", "us-east-2",
                                  "--gcp-api-key-file", keyFile.c_str()});
    QVERIFY2(fromFile.out.find("gcp-billing       fresh") != std::string::npos, fromFile.out.c_str());
    sent = false;
    for (const auto& req : requests()) sent = sent || req.dump().find("key=test-file-key-7&") != std::string::npos;
    QVERIFY(sent);
  }

  void brokenAwsChainFailsTheSignedSourceOnly() {
    // A named profile whose credential_process exits 1 (after printing a secret-looking line on
    // stderr): the chain is resolved inside the refresh, so the other sources still load and are stored.
    const QString script = m_dir.filePath(QStringLiteral("creds.sh"));
    std::ofstream(script.toStdString()) << "#!/bin/sh\necho 'secret-on-stderr-99' >&2\nexit 1\n";
    QFile::setPermissions(script, QFile::permissions(script) | QFileDevice::ExeOwner);
    const QString config = m_dir.filePath(QStringLiteral("broken-aws-config"));
    std::ofstream(config.toStdString()) << "[profile broken]\ncredential_process = " << script.toStdString() << "\n";
    qputenv("AWS_CONFIG_FILE", config.toUtf8());
    const std::string db = m_dir.filePath(QStringLiteral("d/prices.sqlite")).toStdString();
    const auto r = runCli({"prices", "refresh", "--db", db.c_str(), "--endpoints", m_endpoints.c_str(), "--aws-regions", "us-east-2",
                           "--profile", "broken", "--json"});
    qputenv("AWS_CONFIG_FILE", m_dir.filePath(QStringLiteral("no-config")).toUtf8());
    QVERIFY2(r.code == 1, (r.out + r.err).c_str());
    const auto j = nlohmann::json::parse(r.out);
    std::map<std::string, nlohmann::json> by;
    for (const auto& s : j["sources"]) by[s["source"].get<std::string>()] = s;
    QCOMPARE(by["aws-spot-history"]["state"].get<std::string>(), std::string("failed"));
    QCOMPARE(by["aws-spot-history"]["why"].get<std::string>(),
             std::string("AwsSpotHistory: AWS credentials: credential_process of profile 'broken': the command failed (exit status 1)"));
    QCOMPARE(by["aws-offer"]["state"].get<std::string>(), std::string("fresh"));
    QVERIFY((r.out + r.err).find("secret-on-stderr-99") == std::string::npos);
  }

  void badInputIsNamed() {
    const std::string empty = m_dir.filePath(QStringLiteral("empty.key")).toStdString();
    std::ofstream(empty) << "\n";
    auto r = runCli({"prices", "refresh", "--gcp-api-key-file", empty.c_str(), "--db", m_dir.filePath(QStringLiteral("c.sqlite")).toStdString().c_str()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.find("has no key on its first line") != std::string::npos, r.err.c_str());
    const std::string bad = m_dir.filePath(QStringLiteral("bad-endpoints.json")).toStdString();
    std::ofstream(bad) << "{\"gcpUrl\": \"http://x\"}";
    r = runCli({"prices", "refresh", "--endpoints", bad.c_str()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.find("unknown or non-string field 'gcpUrl'") != std::string::npos, r.err.c_str());
  }
};

QTEST_APPLESS_MAIN(PricesRefreshCliTest)
#include "PricesRefreshCliTest.moc"
