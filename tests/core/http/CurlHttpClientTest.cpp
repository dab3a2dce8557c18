// libcurl client against a real loopback HTTP server: statuses, headers, bodies and every fault.
#include <nlohmann/json.hpp>
#include <thread>

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/http/CurlHttpClient.h"

using namespace spotwise;
using namespace spotwise::http;
using namespace std::chrono_literals;

class CurlHttpClientTest : public QObject {
  Q_OBJECT

  test::LoopbackServer m_server = test::LoopbackServer::httpFixture(test::sourceDir().string() + "/tests/data");
  CurlHttpClient m_client;

  Request get(const std::string& path) {
    Request r;
    r.url = m_server.url(path);
    r.timeout = 5000ms;
    return r;
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY2(m_server.running(), "the fixture server (python3) did not start"); }

  void sendsMethodHeadersAndBody() {
    Request r = get("/echo?a=1&b=two");
    r.method = "POST";
    r.headers = {{"X-Spotwise-Test", "yes"}, {"Content-Type", "application/json"}, {"X-Empty", ""}};
    r.body = R"({"k":"v"})";
    auto response = m_client.send(r);
    QVERIFY2(response, response ? "" : response.error().toString().c_str());
    QCOMPARE(response->status, 200);
    QCOMPARE(*response->header("content-type"), std::string("application/json"));
    const auto echo = nlohmann::json::parse(response->body);
    QCOMPARE(echo["method"].get<std::string>(), std::string("POST"));
    QCOMPARE(echo["query"].get<std::string>(), std::string("a=1&b=two"));
    QCOMPARE(echo["headers"]["X-Spotwise-Test"].get<std::string>(), std::string("yes"));
    QCOMPARE(echo["headers"]["X-Empty"].get<std::string>(), std::string(""));
    QVERIFY(!echo["headers"].contains("Expect"));
    QCOMPARE(echo["body"].get<std::string>(), std::string(R"({"k":"v"})"));
  }

  void errorStatusesAreResponsesThenMappedToErrors() {
    auto response = m_client.send(get("/status/503?retry_after=2"));
    QVERIFY(response);
    QCOMPARE(response->status, 503);
    const auto error = errorFromResponse("ListThings", *response);
    QVERIFY(error);
    QCOMPARE(error->code, ErrorCode::Unavailable);
    QCOMPARE(*error->httpStatus, 503);
    QCOMPARE(error->retryAfter->count(), 2000);
    QVERIFY(error->message.starts_with("ListThings: HTTP 503: status 503"));
    QVERIFY(isTransient(*error));
    const std::pair<int, ErrorCode> cases[] = {{400, ErrorCode::InvalidArgument}, {401, ErrorCode::Unauthenticated},
                                               {403, ErrorCode::PermissionDenied}, {404, ErrorCode::NotFound},
                                               {429, ErrorCode::ResourceExhausted}};
    for (const auto& [status, code] : cases) {
      auto r = m_client.send(get("/status/" + std::to_string(status)));
      QVERIFY(r);
      QCOMPARE(errorFromResponse("Op", *r)->code, code);
    }
    QVERIFY(isTransient(*errorFromResponse("Op", *m_client.send(get("/status/429")))));
    QVERIFY(!isTransient(*errorFromResponse("Op", *m_client.send(get("/status/403")))));
    QVERIFY(!errorFromResponse("Op", *m_client.send(get("/bytes/3"))));
  }

  void stalledBodyTimesOut() {
    Request r = get("/stall");
    r.stallTimeout = 700ms;
    const auto start = std::chrono::steady_clock::now();
    auto response = m_client.send(r);
    QVERIFY(!response);
    QCOMPARE(response.error().code, ErrorCode::DeadlineExceeded);
    QVERIFY(response.error().message.find("stalled") != std::string::npos);
    QVERIFY(std::chrono::steady_clock::now() - start < 4s);
  }

  void overallTimeout() {
    Request r = get("/slow?ms=3000");
    r.timeout = 300ms;
    auto response = m_client.send(r);
    QVERIFY(!response);
    QCOMPARE(response.error().code, ErrorCode::DeadlineExceeded);
  }

  void truncatedBodyIsDataLoss() {
    auto response = m_client.send(get("/truncated"));
    QVERIFY(!response);
    QCOMPARE(response.error().code, ErrorCode::DataLoss);
  }

  void bodyLimitAndStreaming() {
    Request r = get("/bytes/5000");
    r.maxBodyBytes = 1000;
    auto limited = m_client.send(r);
    QVERIFY(!limited);
    QCOMPARE(limited.error().code, ErrorCode::DataLoss);

    std::size_t streamed = 0;
    r.onData = [&](std::string_view chunk) {
      streamed += chunk.size();
      return true;
    };
    auto ok = m_client.send(r);
    QVERIFY(ok);
    QCOMPARE(streamed, std::size_t{5000});
    QVERIFY(ok->body.empty());

    r.onData = [](std::string_view) { return false; };
    auto stopped = m_client.send(r);
    QVERIFY(!stopped);
    QCOMPARE(stopped.error().code, ErrorCode::Cancelled);
  }

  void cancellation() {
    std::stop_source source;
    Request r = get("/slow?ms=5000");
    r.stop = source.get_token();
    std::thread canceller([&] {
      std::this_thread::sleep_for(300ms);
      source.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    auto response = m_client.send(r);
    canceller.join();
    QVERIFY(!response);
    QCOMPARE(response.error().code, ErrorCode::Cancelled);
    QVERIFY(std::chrono::steady_clock::now() - start < 3s);
  }

  void connectionRefusedIsUnavailable() {
    Request r;
    r.url = "http://127.0.0.1:1/nothing";  // port 1: nothing listens there
    auto response = m_client.send(r);
    QVERIFY(!response);
    QCOMPARE(response.error().code, ErrorCode::Unavailable);
    QVERIFY(isTransient(response.error()));
  }

  void redactedUrlKeepsNoSecret() {
    QCOMPARE(redactedUrl("https://cloudbilling.googleapis.com/v1/services/X/skus?key=SECRET&pageToken=t"),
             std::string("https://cloudbilling.googleapis.com/v1/services/X/skus"));
    QCOMPARE(redactedUrl("https://acct.blob.core.windows.net/c/b#frag?sig=SECRET"), std::string("https://acct.blob.core.windows.net/c/b"));
    QCOMPARE(redactedUrl("https://user:SECRET@host:8443/path?x=1"), std::string("https://host:8443/path"));
    QCOMPARE(redactedUrl("https://host/a@b"), std::string("https://host/a@b"));  // an '@' in the path is no user-info
    QCOMPARE(redactedUrl("http://127.0.0.1:1/nothing"), std::string("http://127.0.0.1:1/nothing"));
  }

  // Every error the client builds names the request without its query: a key there must not reach a message.
  void errorsNeverShowTheQuery() {
    const std::string secret = "SECRET-KEY-42";
    std::stop_source cancelled;
    cancelled.request_stop();
    Request before = get("/bytes/3?key=" + secret);
    before.stop = cancelled.get_token();  // stopped before it was sent (a refresh cancelled between pages)
    auto early = m_client.send(before);
    QVERIFY(!early);
    QCOMPARE(early.error().code, ErrorCode::Cancelled);
    QCOMPARE(early.error().message, "GET " + m_server.url("/bytes/3") + ": cancelled");

    std::stop_source source;
    Request during = get("/slow?ms=5000&key=" + secret);
    during.stop = source.get_token();
    std::thread canceller([&] {
      std::this_thread::sleep_for(300ms);
      source.request_stop();
    });
    auto mid = m_client.send(during);
    canceller.join();
    QVERIFY(!mid);
    QCOMPARE(mid.error().message, "GET " + m_server.url("/slow") + ": cancelled");

    Request stalled = get("/stall?sig=" + secret);
    stalled.stallTimeout = 500ms;
    auto stall = m_client.send(stalled);
    QVERIFY(!stall);
    QCOMPARE(stall.error().code, ErrorCode::DeadlineExceeded);
    QVERIFY2(stall.error().message.find(secret) == std::string::npos, stall.error().message.c_str());

    Request slow = get("/slow?ms=3000&key=" + secret);
    slow.timeout = 300ms;
    auto timeout = m_client.send(slow);
    QVERIFY(!timeout);
    QCOMPARE(timeout.error().code, ErrorCode::DeadlineExceeded);
    QVERIFY2(timeout.error().message.find(secret) == std::string::npos, timeout.error().message.c_str());

    Request refused;
    refused.url = "http://127.0.0.1:1/nothing?key=" + secret;
    auto unreachable = m_client.send(refused);
    QVERIFY(!unreachable);
    QVERIFY2(unreachable.error().message.starts_with("GET http://127.0.0.1:1/nothing: "), unreachable.error().message.c_str());
    QVERIFY2(unreachable.error().message.find(secret) == std::string::npos, unreachable.error().message.c_str());
  }

  void etagRevalidation() {
    auto first = m_client.send(get("/files/http/etag.txt"));
    QVERIFY(first);
    QCOMPARE(first->status, 200);
    QCOMPARE(first->body, std::string("cached body\n"));
    const auto etag = first->header("ETag");
    QVERIFY(etag);
    Request again = get("/files/http/etag.txt");
    again.headers = {{"If-None-Match", *etag}};
    auto second = m_client.send(again);
    QVERIFY(second);
    QCOMPARE(second->status, 304);
    QVERIFY(second->body.empty());
  }
};

QTEST_APPLESS_MAIN(CurlHttpClientTest)
#include "CurlHttpClientTest.moc"
