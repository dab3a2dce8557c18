// The network drops in the middle of a price download (a real loopback server promises 1000
// bytes, sends 10 and closes): the refresh fails naming the source, and the offer file cached by
// the last good download stays byte for byte, with its ETag, so the next refresh still has it.
#include <nlohmann/json.hpp>

#include <QTemporaryDir>

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/http/CurlHttpClient.h"
#include "core/pricing/sources/Fetchers.h"

using namespace spotwise;
using namespace spotwise::pricing::sources;
using namespace std::chrono_literals;

class PriceDownloadFaultTest : public QObject {
  Q_OBJECT
  test::LoopbackServer m_server = test::LoopbackServer::httpFixture((test::sourceDir() / "tests/data").string());
  http::CurlHttpClient m_client;
  QTemporaryDir m_dir;

  void pointRegionAt(const std::string& url) {
    http::Request r;
    r.method = "POST";
    r.url = m_server.url("/__script?path=/aws/region_index.json");
    r.body = nlohmann::json::array(
                 {{{"status", 200},
                   {"body", nlohmann::json{{"regions", {{"us-east-2", {{"regionCode", "us-east-2"}, {"currentVersionUrl", url}}}}}}
                                .dump()}}})
                 .dump();
    auto response = m_client.send(r);
    QVERIFY(response && response->status == 200);
  }

  FetchSettings settings() {
    FetchSettings s;
    s.timeout = 10s;
    s.stallTimeout = 5s;
    s.retry.maxAttempts = 2;
    s.retry.initialBackoff = 10ms;
    s.retry.maxBackoff = 20ms;
    s.nowUnix = 1'800'000'000;
    return s;
  }

  SourceEndpoints endpoints() {
    SourceEndpoints e;
    e.awsRegionIndexUrl = m_server.url("/aws/region_index.json");
    e.awsOfferBase = m_server.url("");
    return e;
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY2(m_server.running(), "the fixture server (python3) did not start"); }

  void aDroppedOfferDownloadKeepsTheCachedFile() {
    const std::filesystem::path cache = m_dir.filePath(QStringLiteral("cache")).toStdString();
    const auto data = cache / "aws-offer-us-east-2.json";
    const auto etag = cache / "aws-offer-us-east-2.etag";
    pointRegionAt("/files/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json");
    auto good = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, cache, settings());
    QVERIFY2(good, good ? "" : good.error().toString().c_str());
    const std::string cachedData = test::readText(data);
    const std::string cachedEtag = test::readText(etag);
    QVERIFY(!cachedData.empty() && !cachedEtag.empty());

    // AWS publishes a new version; its download is cut short on every attempt.
    pointRegionAt("/truncated");
    auto cut = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, cache, settings());
    QVERIFY(!cut);
    QCOMPARE(cut.error().code, ErrorCode::DataLoss);
    QVERIFY2(cut.error().message.starts_with("AwsOffer us-east-2: "), cut.error().message.c_str());
    QCOMPARE(test::readText(data), cachedData);
    QCOMPARE(test::readText(etag), cachedEtag);
    QVERIFY(!std::filesystem::exists(std::filesystem::path(data).concat(".part")));

    // The network is back, the version is the cached one: HTTP 304 and the same prices.
    pointRegionAt("/files/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json");
    auto again = fetchAwsOnDemand(m_client, endpoints(), {"us-east-2"}, cache, settings());
    QVERIFY2(again, again ? "" : again.error().toString().c_str());
    QVERIFY(again->notModified);
    QCOMPARE(again->parsed.records.size(), std::size_t{1});
    QCOMPARE(again->parsed.records[0].usdPerHour, 12.24);
  }

  void aDroppedFeedDownloadNamesTheSource() {
    auto e = endpoints();
    e.awsSpotFeedUrl = m_server.url("/truncated");
    e.azureRetailUrl = m_server.url("/truncated");
    const auto feed = fetchAwsSpotFeed(m_client, e, settings());
    QVERIFY(!feed);
    QCOMPARE(feed.error().code, ErrorCode::DataLoss);
    QVERIFY2(feed.error().message.starts_with("AwsSpotFeed: "), feed.error().message.c_str());
    const auto azure = fetchAzureRetail(m_client, e, azureGpuFilter(), settings());
    QVERIFY(!azure);
    QVERIFY2(azure.error().message.starts_with("AzureRetail page 1: "), azure.error().message.c_str());
  }
};

QTEST_APPLESS_MAIN(PriceDownloadFaultTest)
#include "PriceDownloadFaultTest.moc"
