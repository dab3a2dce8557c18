// Fetchers and the concurrent refresh against a real loopback HTTP server started by the test.
#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <atomic>
#include <thread>

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/http/CurlHttpClient.h"
#include "core/pricing/LiveCatalog.h"
#include "core/pricing/sources/Fetchers.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace spotwise::pricing::sources;
using namespace std::chrono_literals;

class FetchersTest : public QObject {
  Q_OBJECT

  test::LoopbackServer m_server = test::LoopbackServer::httpFixture((test::sourceDir() / "tests/data").string());
  http::CurlHttpClient m_client;
  QTemporaryDir m_dir;

  /** Scripts the responses of `path` (popped in order; the last repeats). */
  void script(const std::string& path, const nlohmann::json& steps) {
    http::Request r;
    r.method = "POST";
    r.url = m_server.url("/__script?path=" + path);
    r.body = steps.dump();
    auto response = m_client.send(r);
    QVERIFY(response && response->status == 200);
  }
  nlohmann::json requests() {
    http::Request r;
    r.url = m_server.url("/__requests");
    return nlohmann::json::parse(m_client.send(r)->body);
  }
  static std::string file(const char* rel) { return test::readText(test::sourceDir() / "tests/data/pricing" / rel); }

  FetchSettings settings() {
    FetchSettings s;
    s.timeout = 10s;
    s.stallTimeout = 5s;
    s.retry.maxAttempts = 1;
    s.nowUnix = 1'800'000'000;
    return s;
  }
  SourceEndpoints endpoints() {
    SourceEndpoints e;
    e.awsRegionIndexUrl = m_server.url("/aws/region_index.json");
    e.awsOfferBase = m_server.url("");
    e.awsSpotFeedUrl = m_server.url("/aws/spot.js");
    e.awsAdvisorUrl = m_server.url("/aws/advisor.json");
    e.azureRetailUrl = m_server.url("/azure/prices");
    e.gcpBillingUrl = m_server.url("/gcp/skus");
    return e;
  }
  void scriptRegionIndex(const char* offerFile) {
    script("/aws/region_index.json",
           {{{"status", 200},
             {"body", nlohmann::json{{"regions", {{"us-east-2", {{"regionCode", "us-east-2"},
                                                                  {"currentVersionUrl", std::string("/files/pricing/aws/") + offerFile}}}}}}
                          .dump()}}});
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY2(m_server.running(), "the fixture server (python3) did not start");
    QVERIFY(m_dir.isValid());
  }

  void awsOfferIsCachedWithEtag() {
    scriptRegionIndex("derived_us-east-2_p3.8xlarge_linux.json");
    const std::filesystem::path cache = m_dir.filePath(QStringLiteral("cache")).toStdString();
    auto first = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, cache, settings());
    QVERIFY2(first, first ? "" : first.error().toString().c_str());
    QVERIFY(!first->notModified);
    QCOMPARE(first->bytes, std::uint64_t{file("aws/derived_us-east-2_p3.8xlarge_linux.json").size()});
    QCOMPARE(first->parsed.records.size(), std::size_t{1});
    QCOMPARE(first->parsed.records[0].usdPerHour, 12.24);
    QCOMPARE(first->parsed.records[0].asOfUnix, std::int64_t{1'800'000'000});  // fetch time
    auto second = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, cache, settings());
    QVERIFY2(second, second ? "" : second.error().toString().c_str());
    QVERIFY(second->notModified);        // HTTP 304: the cached file was parsed, nothing downloaded
    QCOMPARE(second->bytes, std::uint64_t{0});
    QCOMPARE(second->parsed.records.size(), std::size_t{1});
    QCOMPARE(second->parsed.records[0].usdPerHour, 12.24);
    const auto seen = requests();
    std::vector<std::string> etags;
    for (const auto& r : seen) {
      if (r["path"] == "/files/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json") {
        etags.push_back(r["headers"].value("If-None-Match", std::string()));
      }
    }
    QCOMPARE(etags.size(), std::size_t{2});
    QCOMPARE(etags[0], std::string());
    QVERIFY(etags[1].size() > 10);
  }

  // A changed file (a new ETag) is downloaded again, replaces the cached copy, and its ETag is the one sent next time.
  void awsOfferWithAChangedEtagIsDownloadedAgain() {
    script("/aws/region_index.json",
           {{{"status", 200},
             {"body", nlohmann::json{{"regions", {{"us-east-2", {{"currentVersionUrl", "/aws/offer-us-east-2.json"}}}}}}.dump()}}});
    const std::string v1 = file("aws/derived_us-east-2_p3.8xlarge_linux.json");
    std::string v2 = v1;
    v2.replace(v2.find("\"12.2400000000\""), 15, "\"13.5000000000\"");
    script("/aws/offer-us-east-2.json", {{{"status", 200}, {"body", v1}, {"headers", {{"ETag", "\"v1\""}}}},
                                         {{"status", 200}, {"body", v2}, {"headers", {{"ETag", "\"v2\""}}}},
                                         {{"status", 304}, {"body", ""}, {"headers", {{"ETag", "\"v2\""}}}}});
    const std::filesystem::path cache = m_dir.filePath(QStringLiteral("etag-change")).toStdString();
    auto first = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, cache, settings());
    QVERIFY2(first, first ? "" : first.error().toString().c_str());
    QCOMPARE(first->parsed.records[0].usdPerHour, 12.24);
    auto changed = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, cache, settings());
    QVERIFY2(changed, changed ? "" : changed.error().toString().c_str());
    QVERIFY(!changed->notModified);
    QCOMPARE(changed->bytes, std::uint64_t{v2.size()});
    QCOMPARE(changed->parsed.records.size(), std::size_t{1});
    QCOMPARE(changed->parsed.records[0].usdPerHour, 13.5);
    auto unchanged = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, cache, settings());
    QVERIFY2(unchanged, unchanged ? "" : unchanged.error().toString().c_str());
    QVERIFY(unchanged->notModified);
    QCOMPARE(unchanged->parsed.records[0].usdPerHour, 13.5);  // the new file was kept
    std::vector<std::string> sent;
    for (const auto& r : requests()) {
      if (r["path"] == "/aws/offer-us-east-2.json") sent.push_back(r["headers"].value("If-None-Match", std::string("(none)")));
    }
    QCOMPARE(sent, (std::vector<std::string>{"(none)", "\"v1\"", "\"v2\""}));
  }

  void awsOfferInCnyFailsNamingRegionAndCurrency() {
    scriptRegionIndex("opencost_provider_test_AmazonEC2_cn-northwest-1_excerpt.json");
    auto r = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, m_dir.filePath(QStringLiteral("cny")).toStdString(), settings());
    QVERIFY(!r);
    QVERIFY2(r.error().message.starts_with("AwsOffer us-east-2: AwsOffer: prices are in CNY"), r.error().message.c_str());
    auto missing = fetchAwsOnDemand(m_client, endpoints(), {"mars-1"}, m_dir.filePath(QStringLiteral("cny")).toStdString(), settings());
    QVERIFY(!missing);
    QCOMPARE(missing.error().message, std::string("AwsOffer mars-1: not in region_index.json"));
  }

  void azureFollowsNextPageLinkVerbatim() {
    nlohmann::json first = nlohmann::json::parse(file("azure/derived_page_B16als_v2_3-items.json"));
    first["NextPageLink"] = m_server.url("/azure/page2") + "?api-version=2023-01-01-preview&$skip=1000";
    script("/azure/prices", {{{"status", 200}, {"body", first.dump()}}});
    script("/azure/page2", {{{"status", 200}, {"body", file("azure/derived_page_B16als_v2_13-rows.json")}}});
    auto r = fetchAzureRetail(m_client, endpoints(), azureGpuFilter(), settings());
    QVERIFY2(r, r ? "" : r.error().toString().c_str());
    QCOMPARE(r->pages, std::size_t{2});
    QCOMPARE(r->parsed.itemsRead, std::size_t{16});
    QCOMPARE(r->parsed.records.size(), std::size_t{2});
    QCOMPARE(r->parsed.records[0].usdPerHour, 0.673);
    QCOMPARE(r->parsed.records[1].usdPerHour, 0.6057);
    bool sawFilter = false, sawSkip = false;
    for (const auto& q : requests()) {
      if (q["path"] == "/azure/prices") {
        sawFilter = q["query"].get<std::string>() ==
                    "api-version=2023-01-01-preview&$filter=serviceName%20eq%20%27Virtual%20Machines%27%20and%20priceType%20eq%20"
                    "%27Consumption%27%20and%20contains%28armSkuName%2C%20%27Standard_N%27%29";
      }
      if (q["path"] == "/azure/page2") sawSkip = q["query"] == "api-version=2023-01-01-preview&$skip=1000";
    }
    QVERIFY(sawFilter);
    QVERIFY(sawSkip);
  }

  void azurePageThatRepeatsOrNeverEndsFails() {
    nlohmann::json loop = nlohmann::json::parse(file("azure/page_empty_eastus_Standard_B1s_Reservation.json"));
    loop["NextPageLink"] = m_server.url("/azure/loop");
    script("/azure/prices", {{{"status", 200}, {"body", loop.dump()}}});
    script("/azure/loop", {{{"status", 200}, {"body", loop.dump()}}});
    auto repeated = fetchAzureRetail(m_client, endpoints(), azureGpuFilter(), settings());
    QVERIFY(!repeated);
    QCOMPARE(repeated.error().message, std::string("AzureRetail: NextPageLink repeats a page already read"));

    auto e = endpoints();
    e.azureRetailUrl = m_server.url("/stall");
    auto s = settings();
    s.stallTimeout = 700ms;
    const auto start = std::chrono::steady_clock::now();
    auto stalled = fetchAzureRetail(m_client, e, azureGpuFilter(), s);
    QVERIFY(!stalled);
    QCOMPARE(stalled.error().code, ErrorCode::DeadlineExceeded);
    QVERIFY2(stalled.error().message.starts_with("AzureRetail page 1: "), stalled.error().message.c_str());
    QVERIFY(std::chrono::steady_clock::now() - start < 5s);
  }

  void httpErrorsAndTruncatedBodiesNameTheSource() {
    auto e = endpoints();
    e.awsSpotFeedUrl = m_server.url("/status/404");
    auto notFound = fetchAwsSpotFeed(m_client, e, settings());
    QVERIFY(!notFound);
    QCOMPARE(notFound.error().code, ErrorCode::NotFound);
    QVERIFY2(notFound.error().message.starts_with("AwsSpotFeed: HTTP 404"), notFound.error().message.c_str());
    e.awsAdvisorUrl = m_server.url("/truncated");
    auto truncated = fetchAwsAdvisor(m_client, e, settings());
    QVERIFY(!truncated);
    QCOMPARE(truncated.error().code, ErrorCode::DataLoss);
    QVERIFY2(truncated.error().message.starts_with("AwsSpotAdvisor: "), truncated.error().message.c_str());
  }

  void transient503IsRetried() {
    script("/aws/spot.js", {{{"status", 503}, {"body", "slow down"}}, {{"status", 200}, {"body", file("aws/ligoj_mock-server_spot.js")}}});
    auto s = settings();
    s.retry.maxAttempts = 3;
    s.retry.initialBackoff = 10ms;
    s.retry.maxBackoff = 20ms;
    auto r = fetchAwsSpotFeed(m_client, endpoints(), s);
    QVERIFY2(r, r ? "" : r.error().toString().c_str());
    QCOMPARE(r->parsed.records.size(), std::size_t{4});
  }

  void gcpPagesOnTokenAndNeverLeaksTheKey() {
    nlohmann::json last{{"skus", nlohmann::json::array()}, {"nextPageToken", ""}};
    script("/gcp/skus", {{{"status", 200}, {"body", file("gcp/opencost_provider_test_skus_page_A100_A2.json")}},
                         {{"status", 200}, {"body", last.dump()}}});
    auto r = fetchGcpBilling(m_client, endpoints(), "secret-key-123", settings());
    QVERIFY2(r, r ? "" : r.error().toString().c_str());
    QCOMPARE(r->pages, std::size_t{2});
    bool found = false;
    for (const auto& rec : r->parsed.records) {
      if (rec.instanceType == "a2-highgpu-1g" && rec.region == "us-central1") found = rec.usdPerHour == 3.673385;
    }
    QVERIFY(found);
    script("/gcp/skus", {{{"status", 403}, {"body", "{\"error\":{\"message\":\"API key not valid\"}}"}}});
    auto denied = fetchGcpBilling(m_client, endpoints(), "secret-key-123", settings());
    QVERIFY(!denied);
    QCOMPARE(denied.error().code, ErrorCode::PermissionDenied);
    QVERIFY(denied.error().message.find("secret-key-123") == std::string::npos);
    QVERIFY2(denied.error().message.starts_with("GcpBilling page 1: HTTP 403"), denied.error().message.c_str());
  }

  // A GCP refresh cancelled between pages, stalled or timed out: the message names the page, never the key.
  void gcpCancelledOrStalledNeverLeaksTheKey() {
    const std::string key = "secret-key-456";
    nlohmann::json first = nlohmann::json::parse(file("gcp/opencost_provider_test_skus_page_A100_A2.json"));
    first["nextPageToken"] = "page-2";
    nlohmann::json last{{"skus", nlohmann::json::array()}, {"nextPageToken", ""}};
    script("/gcp/skus", {{{"status", 200}, {"body", first.dump()}}, {{"status", 200}, {"body", last.dump()}}});
    std::stop_source stop;
    auto s = settings();
    s.stop = stop.get_token();
    s.onProgress = [&](const FetchProgress& p) {
      if (p.unit == std::string("pages") && p.done == 1) stop.request_stop();  // cancel after page 1, before page 2
    };
    auto cancelled = fetchGcpBilling(m_client, endpoints(), key, s);
    QVERIFY(!cancelled);
    QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
    QVERIFY2(cancelled.error().message.starts_with("GcpBilling page 2: GET " + m_server.url("/gcp/skus") + ": cancelled"),
             cancelled.error().message.c_str());
    QVERIFY2(cancelled.error().message.find(key) == std::string::npos, cancelled.error().message.c_str());

    auto e = endpoints();
    e.gcpBillingUrl = m_server.url("/stall");
    auto stalledSettings = settings();
    stalledSettings.stallTimeout = 500ms;
    auto stalled = fetchGcpBilling(m_client, e, key, stalledSettings);
    QVERIFY(!stalled);
    QCOMPARE(stalled.error().code, ErrorCode::DeadlineExceeded);
    QVERIFY2(stalled.error().message.starts_with("GcpBilling page 1: GET " + m_server.url("/stall") + ": "), stalled.error().message.c_str());
    QVERIFY2(stalled.error().message.find(key) == std::string::npos, stalled.error().message.c_str());

    e.gcpBillingUrl = m_server.url("/slow");
    auto slowSettings = settings();
    slowSettings.timeout = 300ms;
    auto timedOut = fetchGcpBilling(m_client, e, key, slowSettings);
    QVERIFY(!timedOut);
    QCOMPARE(timedOut.error().code, ErrorCode::DeadlineExceeded);
    QVERIFY2(timedOut.error().message.find(key) == std::string::npos, timedOut.error().message.c_str());
  }

  void oneSourceFailingLeavesTheOthersAndTheLastGoodData() {
    scriptRegionIndex("derived_us-east-2_p3.8xlarge_linux.json");
    script("/aws/spot.js", {{{"status", 500}, {"body", "internal error"}}});
    script("/aws/advisor.json",
           {{{"status", 200}, {"body", "{\"ranges\":[{\"index\":0,\"label\":\"<5%\"}],\"spot_advisor\":{\"us-east-2\":{\"Linux\":{\"p3.8xlarge\":{\"s\":70,\"r\":0}}}}}"}}});
    script("/azure/prices", {{{"status", 200}, {"body", file("azure/derived_page_B16als_v2_13-rows.json")}}});
    RefreshConfig config;
    config.endpoints = endpoints();
    config.awsRegions = {"us-east-2"};
    config.cacheDir = m_dir.filePath(QStringLiteral("refresh-cache")).toStdString();
    config.settings = settings();
    std::atomic<int> progressCalls{0};
    auto outcomes = refreshAll(m_client, config, [&](std::string_view, const FetchProgress&) { ++progressCalls; }, {});
    QCOMPARE(outcomes.size(), std::size_t{6});
    QCOMPARE(outcomes[0].state, SourceOutcome::State::Fresh);   // aws-offer
    QCOMPARE(outcomes[1].state, SourceOutcome::State::Skipped); // aws-spot-history: no AWS credentials
    QVERIFY2(outcomes[1].error.message.find("public spot feed") != std::string::npos, outcomes[1].error.message.c_str());
    QCOMPARE(outcomes[2].state, SourceOutcome::State::Failed);  // aws-spot-feed: HTTP 500
    QVERIFY2(outcomes[2].error.message.starts_with("AwsSpotFeed: HTTP 500"), outcomes[2].error.message.c_str());
    QCOMPARE(outcomes[3].state, SourceOutcome::State::Fresh);   // advisor
    QCOMPARE(outcomes[4].state, SourceOutcome::State::Fresh);   // azure
    QCOMPARE(outcomes[5].state, SourceOutcome::State::Skipped); // gcp: no key
    QVERIFY2(outcomes[5].error.message.find("SPOTWISE_GCP_API_KEY") != std::string::npos, outcomes[5].error.message.c_str());
    // One fetch time on every record of the refresh.
    for (const auto& r : outcomes[0].result.parsed.records) QCOMPARE(r.asOfUnix, std::int64_t{1'800'000'000});
    QVERIFY(progressCalls > 0);

    auto history = PriceHistory::open(m_dir.filePath(QStringLiteral("history.sqlite")).toStdString());
    QVERIFY2(history, history ? "" : history.error().toString().c_str());
    QVERIFY(storeRefresh(*history, outcomes));
    auto embedded = embeddedSnapshot();
    QVERIFY(embedded);
    auto live = assembleLiveCatalog(*history, *embedded);
    QVERIFY2(live, live ? "" : live.error().toString().c_str());
    const auto it = std::ranges::find_if(live->offers, [](const Offer& o) { return o.instanceType == "p3.8xlarge" && o.region == "us-east-2"; });
    QVERIFY(it != live->offers.end());
    QCOMPARE(it->onDemand->usdPerHour, 12.24);
    QCOMPARE(it->onDemand->sourceId, std::string("aws-offer"));
    QVERIFY(!it->spot);  // the spot feed failed: missing, not $0
    QCOMPARE(it->interruption->label, std::string("<5%"));
    QVERIFY(live->offers.size() > embedded->offers.size());

    // Next refresh: the offer index fails. The last good AWS data must survive.
    script("/aws/region_index.json", {{{"status", 503}, {"body", "down"}}});
    auto again = refreshAll(m_client, config, {}, {});
    QCOMPARE(again[0].state, SourceOutcome::State::Failed);
    QVERIFY(storeRefresh(*history, again));
    auto good = history->lastGood("aws-offer");
    QVERIFY(good && *good);
    QCOMPARE((*good)->parsed.records.size(), std::size_t{1});
    QCOMPARE((*good)->parsed.records[0].usdPerHour, 12.24);
    auto health = history->health();
    QVERIFY(health);
    const auto aws = std::ranges::find(*health, std::string("aws-offer"), &SourceHealth::sourceId);
    QVERIFY(aws != health->end());
    QVERIFY(!aws->lastAttemptOk);
    QVERIFY(aws->lastSuccessUnix.has_value());
    QVERIFY2(aws->lastError.find("HTTP 503") != std::string::npos, aws->lastError.c_str());
  }

  void aFormatChangeWarnsOrFailsButNeverWipesGoodData() {
    // Some Azure rows of a type the parser does not know: they are left out and warned about.
    auto page = nlohmann::json::parse(file("azure/derived_page_B16als_v2_13-rows.json"));
    page["Items"][0]["type"] = "SavingsPlanConsumption";
    page["Items"][7]["unitOfMeasure"] = "1 Minute";  // the Linux spot row
    script("/azure/prices", {{{"status", 200}, {"body", page.dump()}}});
    auto some = fetchAzureRetail(m_client, endpoints(), azureGpuFilter(), settings());
    QVERIFY2(some, some ? "" : some.error().toString().c_str());
    QVERIFY(!some->parsed.records.empty());
    QCOMPARE(some->parsed.warnings.size(), std::size_t{2});
    QVERIFY2(some->parsed.warnings[0].find("1 rows in unit '1 Minute' (not hours) left out (the API may have changed)") != std::string::npos,
             some->parsed.warnings[0].c_str());
    QVERIFY(some->parsed.warnings[1].find("1 rows of unknown type 'SavingsPlanConsumption'") != std::string::npos);

    // Every row of an unknown type: items but no price. The refresh fails (the last good data stays).
    for (auto& item : page["Items"]) item["type"] = "SavingsPlanConsumption";
    script("/azure/prices", {{{"status", 200}, {"body", page.dump()}}});
    RefreshConfig config;
    config.endpoints = endpoints();
    config.endpoints.awsRegionIndexUrl = m_server.url("/missing/region_index.json");
    config.endpoints.awsSpotFeedUrl = m_server.url("/missing/spot.js");
    config.endpoints.awsAdvisorUrl = m_server.url("/missing/advisor.json");
    config.cacheDir = m_dir.filePath(QStringLiteral("format-cache")).toStdString();
    config.settings = settings();
    const auto outcomes = refreshAll(m_client, config, {}, {});
    const auto& azure = outcomes[4];
    QCOMPARE(azure.sourceId, std::string("azure-retail"));
    QCOMPARE(azure.state, SourceOutcome::State::Failed);
    QCOMPARE(azure.error.code, ErrorCode::DataLoss);
    QVERIFY2(azure.error.message.starts_with("AzureRetail: 13 items read but no price recognised; the source's format may have changed"),
             azure.error.message.c_str());
  }

  void cancellingStopsEveryTransferPromptly() {
    auto e = endpoints();
    e.awsRegionIndexUrl = e.awsSpotFeedUrl = e.awsAdvisorUrl = m_server.url("/slow?ms=20000");
    e.azureRetailUrl = e.gcpBillingUrl = m_server.url("/stall");  // the fetchers append their own query
    RefreshConfig config;
    config.endpoints = e;
    config.gcpApiKey = "secret-key-789";
    config.cacheDir = m_dir.filePath(QStringLiteral("cancel")).toStdString();
    config.settings = settings();
    config.settings.timeout = 30s;
    config.settings.stallTimeout = 30s;
    std::stop_source stop;
    std::jthread canceller([&] {
      std::this_thread::sleep_for(300ms);
      stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    auto outcomes = refreshAll(m_client, config, {}, stop.get_token());
    QVERIFY(std::chrono::steady_clock::now() - start < 5s);
    for (std::size_t i : {0, 2, 3, 4, 5}) {  // 1 (aws-spot-history) is skipped: no AWS credentials
      QVERIFY2(outcomes[i].state == SourceOutcome::State::Cancelled, outcomes[i].error.toString().c_str());
      QVERIFY2(outcomes[i].error.message.find("secret-key-789") == std::string::npos, outcomes[i].error.message.c_str());
    }
  }
};

QTEST_APPLESS_MAIN(FetchersTest)
#include "FetchersTest.moc"
