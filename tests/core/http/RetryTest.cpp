// The retry loop with a fake clock and sleeper (no real sleeps), plus one run against a real
// server that fails twice before answering.
#include <nlohmann/json.hpp>
#include <set>

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/http/CurlHttpClient.h"
#include "core/http/Retry.h"

using namespace spotwise;
using namespace spotwise::http;
using namespace std::chrono_literals;

namespace {

class FakeTime final : public Sleeper, public SteadyClock {
 public:
  bool sleepFor(std::chrono::milliseconds d, const std::stop_token& stop) override {
    sleeps.push_back(d);
    m_now += d;
    return !stop.stop_requested();
  }
  std::chrono::steady_clock::time_point now() const override { return m_now; }
  std::vector<std::chrono::milliseconds> sleeps;

 private:
  std::chrono::steady_clock::time_point m_now{};
};

Error transient() { return makeError(ErrorCode::Unavailable, "Op: HTTP 503"); }

}  // namespace

class RetryTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void retriesTransientUntilSuccess() {
    FakeTime time;
    RetryContext ctx{time, time, 42};
    int calls = 0;
    auto result = retryCall<int>({}, Idempotency::Idempotent, ctx, [&]() -> Result<int> {
      return ++calls < 3 ? Result<int>(transient()) : Result<int>(7);
    });
    QVERIFY(result);
    QCOMPARE(*result, 7);
    QCOMPARE(calls, 3);
    QCOMPARE(time.sleeps.size(), std::size_t{2});
  }

  void stopsAtMaxAttemptsAndSaysSo() {
    FakeTime time;
    RetryContext ctx{time, time, 1};
    int calls = 0;
    RetryPolicy policy;
    policy.maxAttempts = 4;
    auto result = retryCall<int>(policy, Idempotency::Idempotent, ctx, [&]() -> Result<int> {
      ++calls;
      return transient();
    });
    QVERIFY(!result);
    QCOMPARE(calls, 4);
    QCOMPARE(result.error().message, std::string("Op: HTTP 503 (after 4 attempts)"));
  }

  void nonTransientAndNonIdempotentAreNotRetried() {
    FakeTime time;
    RetryContext ctx{time, time, 1};
    int calls = 0;
    auto denied = retryCall<int>({}, Idempotency::Idempotent, ctx, [&]() -> Result<int> {
      ++calls;
      return makeError(ErrorCode::PermissionDenied, "Op: denied");
    });
    QVERIFY(!denied);
    QCOMPARE(calls, 1);
    auto capacity = retryCall<int>({}, Idempotency::Idempotent, ctx, [&]() -> Result<int> {
      ++calls;
      Error e = makeError(ErrorCode::ResourceExhausted, "RunInstances: no capacity");
      e.providerCode = "InsufficientInstanceCapacity";
      return e;
    });
    QVERIFY(!capacity);
    QCOMPARE(calls, 2);
    auto mutation = retryCall<int>({}, Idempotency::NonIdempotent, ctx, [&]() -> Result<int> {
      ++calls;
      return transient();
    });
    QVERIFY(!mutation);
    QCOMPARE(calls, 3);
    QVERIFY(time.sleeps.empty());
  }

  void retryAfterIsAFloorAndTheTimeBudgetHolds() {
    FakeTime time;
    RetryContext ctx{time, time, 3};
    RetryPolicy policy;
    policy.maxAttempts = 100;
    policy.maxElapsed = 10s;
    int calls = 0;
    auto result = retryCall<int>(policy, Idempotency::Idempotent, ctx, [&]() -> Result<int> {
      ++calls;
      Error e = makeError(ErrorCode::ResourceExhausted, "Op: HTTP 429");
      e.httpStatus = 429;
      e.retryAfter = 3s;
      return e;
    });
    QVERIFY(!result);
    for (auto d : time.sleeps) QVERIFY(d >= 3s);
    QCOMPARE(calls, 4);  // waits 3 s three times (9 s); a fourth wait would pass the 10 s budget
  }

  void backoffIsJitteredAndTruncated() {
    RetryPolicy policy;
    policy.initialBackoff = 100ms;
    policy.maxBackoff = 1s;
    std::mt19937_64 rng(9);
    std::set<long long> distinct;
    for (int retry = 0; retry < 12; ++retry) {
      for (int i = 0; i < 50; ++i) {
        const auto d = backoffDelay(policy, retry, rng);
        QVERIFY(d >= 0ms);
        QVERIFY(d <= std::min<std::chrono::milliseconds>(1s, 100ms * (1 << retry)));
        distinct.insert(d.count());
      }
    }
    QVERIFY(distinct.size() > 100);  // jitter, not a fixed schedule
  }

  void cancelledWhileWaiting() {
    FakeTime time;
    std::stop_source stop;
    RetryContext ctx{time, time, 5, stop.get_token()};
    auto result = retryCall<int>({}, Idempotency::Idempotent, ctx, [&]() -> Result<int> {
      stop.request_stop();
      return transient();
    });
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::Unavailable);  // stop seen before sleeping: the last error
  }

  void realServerFailingTwiceThenAnswering() {
    auto server = test::LoopbackServer::httpFixture();
    QVERIFY(server.running());
    CurlHttpClient client;
    Request script;
    script.method = "POST";
    script.url = server.url("/__script?path=/flaky");
    script.body = R"([{"status":503,"headers":{"Retry-After":"0"}},{"status":500},{"status":200,"body":"done"}])";
    QVERIFY(client.send(script));
    RealSleeper sleeper;
    RealSteadyClock clock;
    RetryContext ctx{sleeper, clock, 11};
    RetryPolicy policy;
    policy.initialBackoff = 20ms;
    int calls = 0;
    auto result = retryCall<Response>(policy, Idempotency::Idempotent, ctx, [&]() -> Result<Response> {
      ++calls;
      Request r;
      r.url = server.url("/flaky");
      r.headers = {{"X-Idempotency-Token", "job-1-attempt-1"}};
      auto response = client.send(r);
      if (!response) return response.error();
      if (auto error = errorFromResponse("GetFlaky", *response)) return *error;
      return response;
    });
    QVERIFY(result);
    QCOMPARE(result->body, std::string("done"));
    QCOMPARE(calls, 3);
    Request log;
    log.url = server.url("/__requests");
    const auto seen = nlohmann::json::parse(client.send(log)->body);
    QCOMPARE(seen.size(), std::size_t{3});  // three GETs, each with the same token
    for (std::size_t i = 0; i < seen.size(); ++i) {
      QCOMPARE(seen[i]["headers"]["X-Idempotency-Token"].get<std::string>(), std::string("job-1-attempt-1"));
    }
  }
};

QTEST_APPLESS_MAIN(RetryTest)
#include "RetryTest.moc"
