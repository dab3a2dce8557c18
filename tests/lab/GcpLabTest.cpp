// GCP against the lab: the Compute Engine contract server (gcloud's compute v1 schema, google-auth
// verifying our JWT assertions, realistic state and operations, requestId honoured) with faults.

#include <QRegularExpression>

#include <atomic>
#include <fstream>
#include <random>
#include <set>

#include "LabPeer.h"
#include "core/auth/gcp/GcpTokenSources.h"
#include "core/cloud/gcp/GcpProvider.h"
#include "core/http/CurlHttpClient.h"

using namespace spotwise;
using namespace spotwise::cloud;
using namespace spotwise::cloud::gcp;
using spotwise::test::faultSpec;
using spotwise::test::within;

namespace {

QString query(const QJsonValue& request, const char* name) {
  const auto m = QRegularExpression(QStringLiteral("(?:^|&)%1=([^&]*)").arg(QLatin1String(name)))
                     .match(request.toObject().value(QStringLiteral("query")).toString());
  return m.hasMatch() ? m.captured(1) : QString();
}

QJsonObject bodyOf(const QJsonValue& request) {
  return QJsonDocument::fromJson(request.toObject().value(QStringLiteral("body")).toString().toUtf8()).object();
}

}  // namespace

class GcpLabTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::LabPeer> m_gce;
  http::CurlHttpClient m_http;
  test::RecordingSleeper m_sleeper;
  http::RealSteadyClock m_clock;
  std::unique_ptr<auth::gcp::ServiceAccountTokenSource> m_tokens;

  GcpSettings settings() {
    GcpSettings s;
    s.project = m_gce->value("project");
    s.computeEndpoint = m_gce->value("endpoint") + "/compute/v1/";
    s.defaultZone = "us-central1-a";
    s.tokens = m_tokens.get();
    s.launch.serviceAccountEmail = "spotwise-vm@spotwise-lab.iam.gserviceaccount.com";
    return s;
  }

  Transport transport() { return test::labTransport(m_http, m_sleeper, m_clock, 7); }

  GcsSettings storageSettings() {
    GcsSettings s;
    s.endpoint = m_gce->value("endpoint");
    s.bucket = "spotwise-lab-jobs";
    s.tokens = m_tokens.get();
    s.resumableThreshold = 512 * 1024;
    s.chunkSize = 256 * 1024;
    return s;
  }

  static LaunchSpec spec(const std::string& job, int attempt) {
    LaunchSpec s;
    s.jobId = job;
    s.attempt = attempt;
    s.region = "us-central1";
    s.zone = "us-central1-a";
    s.instanceType = "n1-standard-8+nvidia-tesla-t4x1";
    s.startupScript = "#!/bin/sh\necho spotwise\n";
    return s;
  }

  int instanceCount() { return m_gce->command({{QStringLiteral("cmd"), QStringLiteral("instances")}}).toArray().size(); }

  Result<Instance> waitFor(GceCompute& gce, const std::string& id, InstanceState state) {
    for (int i = 0; i < 40; ++i) {
      auto d = gce.describe({{"us-central1", id}}, within());
      if (!d) return d.error();
      if (d->front().state == state) return d->front();
      QThread::msleep(50);
    }
    return makeError(ErrorCode::DeadlineExceeded, "state not reached");
  }

 private Q_SLOTS:
  void initTestCase() {
    m_gce = std::make_unique<test::LabPeer>(test::labPeerScript("gcloud-python.sh"),
                                            QStringList{test::labPeerScript("gce_server.py")});
    SPOTWISE_REQUIRE_PEER(*m_gce);
    auto key = auth::gcp::parseServiceAccountKey(m_gce->value("serviceAccountKey"), "lab key");
    QVERIFY(key.ok());
    m_tokens = std::make_unique<auth::gcp::ServiceAccountTokenSource>(
        *key, std::vector<std::string>{std::string(auth::gcp::kCloudPlatformScope)}, m_http);
  }
  void init() {
    m_gce->clear();
    m_sleeper.reset();
  }
  void cleanupTestCase() {
    m_tokens.reset();
    m_gce.reset();
  }

  void launchRunningTerminate() {
    GceCompute gce(settings(), transport());
    const auto launched = gce.launch(spec("job-basic", 1), within());
    QVERIFY2(launched.ok(), launched.ok() ? "" : launched.error().toString().c_str());
    QCOMPARE(launched->id, std::string("us-central1-a/spotwise-job-basic-1"));
    QCOMPARE(launched->jobId, std::string("job-basic"));
    QCOMPARE(launched->attempt, 1);
    QVERIFY(launched->spot);
    QCOMPARE(launched->region, std::string("us-central1"));

    // What went on the wire: the schema-checked body with the Spot settings Spotwise relies on.
    const auto inserts = m_gce->requests(QStringLiteral("^POST /compute/v1/projects/spotwise-lab/zones/us-central1-a/instances\\?"));
    QCOMPARE(inserts.size(), 1);
    const auto body = bodyOf(inserts[0]);
    const auto scheduling = body.value(QStringLiteral("scheduling")).toObject();
    QCOMPARE(scheduling.value(QStringLiteral("provisioningModel")).toString(), QStringLiteral("SPOT"));
    QCOMPARE(scheduling.value(QStringLiteral("instanceTerminationAction")).toString(), QStringLiteral("DELETE"));
    QCOMPARE(scheduling.value(QStringLiteral("onHostMaintenance")).toString(), QStringLiteral("TERMINATE"));
    QCOMPARE(scheduling.value(QStringLiteral("automaticRestart")).toBool(true), false);
    QCOMPARE(body.value(QStringLiteral("guestAccelerators")).toArray()[0].toObject().value(QStringLiteral("acceleratorType")).toString(),
             QStringLiteral("zones/us-central1-a/acceleratorTypes/nvidia-tesla-t4"));
    QCOMPARE(body.value(QStringLiteral("labels")).toObject().value(QStringLiteral("spotwise-job")).toString(), QStringLiteral("job-basic"));
    QVERIFY(QJsonDocument(body.value(QStringLiteral("metadata")).toObject()).toJson().contains("install-nvidia-driver"));
    QVERIFY(QJsonDocument(body.value(QStringLiteral("serviceAccounts")).toArray()).toJson().contains("devstorage.read_write"));
    QVERIFY(inserts[0].toObject().value(QStringLiteral("headers")).toObject().value(QStringLiteral("Authorization"))
                .toString().startsWith(QStringLiteral("Bearer ya29.lab-")));
    // The operation was awaited, not polled in a loop of GETs.
    QVERIFY(m_gce->requests(QStringLiteral("/operations/[^ ]*/wait")).size() >= 1);

    QVERIFY(waitFor(gce, launched->id, InstanceState::Running).ok());
    QVERIFY(gce.terminate({{"us-central1", launched->id}}, within()).ok());
    const auto gone = waitFor(gce, launched->id, InstanceState::Terminated);
    QVERIFY2(gone.ok(), gone.ok() ? "" : gone.error().toString().c_str());
    QCOMPARE(gone->endReason, EndReason::Unknown);
  }

  void otherShapesAreAcceptedByTheSchema() {
    GceCompute gce(settings(), transport());
    auto builtIn = spec("job-shapes", 1);
    builtIn.instanceType = "a2-highgpu-1g";  // the GPU comes with the machine type
    builtIn.extraTags = {{"Team", "ML Ops"}};
    const auto a = gce.launch(builtIn, within());
    QVERIFY2(a.ok(), a.ok() ? "" : a.error().toString().c_str());
    auto onDemand = spec("job-shapes", 2);
    onDemand.spot = false;
    const auto b = gce.launch(onDemand, within());
    QVERIFY2(b.ok(), b.ok() ? "" : b.error().toString().c_str());
    QVERIFY(!b->spot);
  }

  void theContractServerRejectsWhatGceWould() {
    // The same server must refuse a body with an unknown field or a bad enum (proof the check bites).
    auto token = m_tokens->accessToken({});
    QVERIFY(token.ok());
    auto body = buildInsertBody(spec("job-bad", 1), [] {
      GceLaunchOptions o;
      o.zone = "us-central1-a";
      return o;
    }());
    QVERIFY(body.ok());
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"\"provisioningModel\":\"SPOT\"", "\"provisioningModel\":\"SPOTTY\""},
             {"\"automaticRestart\":false", "\"automaticRestart\":false,\"restartAutomatically\":false"},
             {"\"automaticRestart\":false", "\"automaticRestart\":true"}}) {
      std::string bad = *body;
      QVERIFY(bad.find(from) != std::string::npos);
      bad.replace(bad.find(from), from.size(), to);
      http::Request r;
      r.method = "POST";
      r.url = m_gce->value("endpoint") + "/compute/v1/projects/spotwise-lab/zones/us-central1-a/instances";
      r.headers = {{"Authorization", "Bearer " + *token}, {"Content-Type", "application/json"}};
      r.body = bad;
      const auto response = m_http.send(r);
      QVERIFY(response.ok());
      QCOMPARE(response->status, 400);
      const Error e = gceError("instances.insert", *response);
      QCOMPARE(e.code, ErrorCode::InvalidArgument);
      qInfo("rejected as expected: %s", e.message.c_str());
    }
  }

  void preemptionIsReportedAsSpotInterruption() {
    GceCompute gce(settings(), transport());
    const auto launched = gce.launch(spec("job-preempt", 1), within());
    QVERIFY(launched.ok());
    m_gce->command({{QStringLiteral("cmd"), QStringLiteral("preempt")},
                    {QStringLiteral("zone"), QStringLiteral("us-central1-a")},
                    {QStringLiteral("name"), QStringLiteral("spotwise-job-preempt-1")}});
    const auto d = gce.describe({{"us-central1", launched->id}, {"us-central1", "us-central1-b/never-existed"}}, within());
    QVERIFY(d.ok());
    QCOMPARE(d->at(0).state, InstanceState::Terminated);
    QCOMPARE(d->at(0).endReason, EndReason::SpotInterruption);
    QCOMPARE(d->at(1).state, InstanceState::Terminated);
    QCOMPARE(d->at(1).endReason, EndReason::Unknown);
  }

  void operationErrorsAreMapped_data() {
    QTest::addColumn<QString>("code");
    QTest::addColumn<int>("expected");
    QTest::newRow("no capacity") << QStringLiteral("ZONE_RESOURCE_POOL_EXHAUSTED") << int(ErrorCode::ResourceExhausted);
    QTest::newRow("quota") << QStringLiteral("QUOTA_EXCEEDED") << int(ErrorCode::ResourceExhausted);
    QTest::newRow("permissions") << QStringLiteral("PERMISSIONS_ERROR") << int(ErrorCode::PermissionDenied);
  }
  void operationErrorsAreMapped() {
    QFETCH(QString, code);
    QFETCH(int, expected);
    m_gce->command({{QStringLiteral("cmd"), QStringLiteral("operationError")},
                    {QStringLiteral("code"), code},
                    {QStringLiteral("message"), QStringLiteral("The zone does not have enough resources (lab).")}});
    GceCompute gce(settings(), transport());
    const auto launched = gce.launch(spec("job-op-error-" + code.toLower().toStdString().substr(0, 8), 1), within());
    QVERIFY(!launched.ok());
    QCOMPARE(int(launched.error().code), expected);
    QCOMPARE(launched.error().providerCode, code.toStdString());
    QCOMPARE(launched.error().message, std::string("instances.insert: The zone does not have enough resources (lab)."));
    QVERIFY(!isTransient(launched.error()));
  }

  void retriesKeepTheRequestId_data() {
    QTest::addColumn<QJsonObject>("fault");
    QTest::addColumn<int>("minSleepMs");
    const auto gceError = [](int code, const char* message, const char* reason) {
      return QStringLiteral("{\"error\":{\"code\":%1,\"message\":\"%2\",\"errors\":[{\"message\":\"%2\",\"domain\":\"usageLimits\",\"reason\":\"%3\"}]}}")
          .arg(code)
          .arg(QLatin1String(message), QLatin1String(reason));
    };
    QTest::newRow("429 Retry-After") << test::statusFault(429, gceError(429, "Rate Limit Exceeded", "rateLimitExceeded"), {}, 2) << 2000;
    // Compute Engine also answers rate limits with 403 and the reason in the body.
    QTest::newRow("403 rateLimitExceeded") << test::statusFault(403, gceError(403, "Rate Limit Exceeded", "rateLimitExceeded")) << 0;
    QTest::newRow("403 userRateLimitExceeded") << test::statusFault(403, gceError(403, "User Rate Limit Exceeded", "userRateLimitExceeded")) << 0;
    QTest::newRow("500") << test::statusFault(500, gceError(500, "Internal error.", "backendError")) << 0;
    QTest::newRow("503") << test::statusFault(503, QStringLiteral("<html>503</html>"), QStringLiteral("text/html")) << 0;
    test::addTransportFaultRows("not json");
  }
  void retriesKeepTheRequestId() {
    QFETCH(QJsonObject, fault);
    QFETCH(int, minSleepMs);
    static int n = 0;
    const std::string job = "job-retry-" + std::to_string(++n);
    fault.insert(QStringLiteral("match"), QStringLiteral("^POST /compute/v1/projects/spotwise-lab/zones/us-central1-a/instances\\?"));
    fault.insert(QStringLiteral("count"), 2);
    m_gce->fault(fault);
    const int before = instanceCount();
    GceCompute gce(settings(), transport());
    const auto launched = gce.launch(spec(job, 3), within());
    QVERIFY2(launched.ok(), launched.ok() ? "" : launched.error().toString().c_str());
    const auto inserts = m_gce->requests(QStringLiteral("^POST /compute/v1/projects/spotwise-lab/zones/us-central1-a/instances\\?"));
    QCOMPARE(inserts.size(), 3);
    const QString id = query(inserts[0], "requestId");
    QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")).match(id).hasMatch());
    for (const auto& r : inserts) QCOMPARE(query(r, "requestId"), id);
    QCOMPARE(instanceCount(), before + 1);  // the server honours requestId: one VM, however many tries
    const auto sleeps = m_sleeper.sleeps();
    QVERIFY(!sleeps.empty());
    QVERIFY(sleeps[0].count() >= minSleepMs);
  }

  void tokensAreRefreshedWhenDue() {
    // Short-lived tokens, and a token source of our own that trusts their expiry exactly.
    m_gce->command({{QStringLiteral("cmd"), QStringLiteral("tokenLifetime")}, {QStringLiteral("seconds"), 1}});
    auto key = auth::gcp::parseServiceAccountKey(m_gce->value("serviceAccountKey"), "lab key");
    QVERIFY(key.ok());
    auth::gcp::TokenSourceOptions tokenOptions;
    tokenOptions.refreshMarginSeconds = 0;
    auth::gcp::ServiceAccountTokenSource tokens(*key, {std::string(auth::gcp::kCloudPlatformScope)}, m_http, tokenOptions);
    auto s = settings();
    s.tokens = &tokens;
    GceCompute gce(s, transport());
    QVERIFY(gce.listByTag("", {}, within()).ok());
    // Once the token's own expiry has passed, a new one is exchanged before the call: no 401 seen.
    QThread::msleep(1100);
    const auto again = gce.listByTag("", {}, within());
    m_gce->command({{QStringLiteral("cmd"), QStringLiteral("tokenLifetime")}, {QStringLiteral("seconds"), 3599}});
    QVERIFY2(again.ok(), again.ok() ? "" : again.error().toString().c_str());
    QCOMPARE(m_gce->requests(QStringLiteral("^POST /token")).size(), 2);
    QCOMPARE(m_gce->requests(QStringLiteral("aggregated/instances")).size(), 2);
  }

  void refusedTokensAreDroppedAndRefreshedOnce() {
    auto key = auth::gcp::parseServiceAccountKey(m_gce->value("serviceAccountKey"), "lab key");
    QVERIFY(key.ok());
    auth::gcp::ServiceAccountTokenSource tokens(*key, {std::string(auth::gcp::kCloudPlatformScope)}, m_http);
    auto s = settings();
    s.tokens = &tokens;
    auto storage = storageSettings();
    storage.tokens = &tokens;
    GcpProvider gcp(s, storage, transport());
    QVERIFY(gcp.compute().listByTag("", {}, within()).ok());
    QVERIFY(gcp.storage().put("jobs/refused/a.txt", "first", within()).ok());
    const auto first = tokens.accessToken({});
    QVERIFY(first.ok());

    // Google revokes the cached token long before its expiry: the contract server (which checks
    // tokens it issued after a google-auth-verified assertion) answers 401. The token is dropped,
    // a new assertion exchanged, and the call sent once more: compute and storage both recover.
    m_gce->command({{QStringLiteral("cmd"), QStringLiteral("expireTokens")}, {QStringLiteral("token"), QString::fromStdString(*first)}});
    m_gce->clear();
    const auto listed = gcp.compute().listByTag("", {}, within());
    QVERIFY2(listed.ok(), listed.ok() ? "" : listed.error().toString().c_str());
    QCOMPARE(m_gce->requests(QStringLiteral("aggregated/instances")).size(), 2);
    QCOMPARE(m_gce->requests(QStringLiteral("^POST /token")).size(), 1);
    const auto second = tokens.accessToken({});
    QVERIFY(second.ok());
    QVERIFY(*second != *first);
    QVERIFY(m_sleeper.sleeps().empty());  // not a transient failure: no backoff

    m_gce->command({{QStringLiteral("cmd"), QStringLiteral("expireTokens")}, {QStringLiteral("token"), QString::fromStdString(*second)}});
    m_gce->clear();
    const auto got = gcp.storage().get("jobs/refused/a.txt", within());
    QVERIFY2(got.ok(), got.ok() ? "" : got.error().toString().c_str());
    QCOMPARE(*got, std::string("first"));
    QCOMPARE(m_gce->requests(QStringLiteral("^POST /token")).size(), 1);

    // A fresh token refused as well is not retried a second time: the call fails, clearly.
    m_gce->clear();
    m_gce->command({{QStringLiteral("cmd"), QStringLiteral("expireTokens")}});
    m_gce->fault(test::faultSpec({{QStringLiteral("kind"), QStringLiteral("status")},
                                  {QStringLiteral("status"), 401},
                                  {QStringLiteral("count"), 5},
                                  {QStringLiteral("match"), QStringLiteral("aggregated/instances")},
                                  {QStringLiteral("body"), QStringLiteral("{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials.\",\"status\":\"UNAUTHENTICATED\"}}")}}));
    const auto refused = gcp.compute().listByTag("", {}, within());
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::Unauthenticated);
    QCOMPARE(m_gce->requests(QStringLiteral("aggregated/instances")).size(), 2);
    m_gce->clear();
    // The shared token source's tokens were all expired: the remaining tests start with a new one.
    m_tokens = std::make_unique<auth::gcp::ServiceAccountTokenSource>(
        *key, std::vector<std::string>{std::string(auth::gcp::kCloudPlatformScope)}, m_http);
  }

  void listByTagFindsEverything() {
    GceCompute gce(settings(), transport());
    std::set<std::string> ids;
    for (int attempt = 1; attempt <= 3; ++attempt) {
      auto s = spec("Job_List", attempt);
      s.zone = attempt == 3 ? "europe-west4-a" : "us-central1-a";
      const auto i = gce.launch(s, within());
      QVERIFY2(i.ok(), i.ok() ? "" : i.error().toString().c_str());
      ids.insert(i->id);
    }
    const auto mine = gce.listByTag("Job_List", {}, within());
    QVERIFY(mine.ok());
    std::set<std::string> found;
    for (const auto& i : *mine) found.insert(i.id);
    QCOMPARE(found, ids);
    const auto europe = gce.listByTag("Job_List", {"europe-west4"}, within());
    QVERIFY(europe.ok());
    QCOMPARE(europe->size(), std::size_t{1});
  }

  void storageRoundTrip() {
    GcpProvider gcp(settings(), storageSettings(), transport());
    auto& gcs = gcp.storage();
    QVERIFY(gcs.put("jobs/j1/status.json", "{\"state\":\"running\"}", within()).ok());
    QCOMPARE(gcs.get("jobs/j1/status.json", within()).valueOr(""), std::string("{\"state\":\"running\"}"));
    QVERIFY(gcs.put("jobs/j1/checkpoints/1/model weights+(1).bin", std::string(3000, 'g'), within()).ok());
    QVERIFY(gcs.put("jobs/j1/logs/attempt-1.log", "log", within()).ok());
    QVERIFY(gcs.put("jobs/j2/status.json", "{}", within()).ok());
    const auto head = gcs.head("jobs/j1/checkpoints/1/model weights+(1).bin", within());
    QVERIFY2(head.ok(), head.ok() ? "" : head.error().toString().c_str());
    QCOMPARE(head->size, std::uint64_t{3000});
    QVERIFY(head->modifiedUnix > 1700000000);
    const auto listed = gcs.list("jobs/j1/", within());  // three objects, two per page on the lab
    QVERIFY2(listed.ok(), listed.ok() ? "" : listed.error().toString().c_str());
    QCOMPARE(listed->size(), std::size_t{3});
    QVERIFY(gcs.remove("jobs/j1/status.json", within()).ok());
    QVERIFY(gcs.remove("jobs/j1/status.json", within()).ok());
    QCOMPARE(gcs.get("jobs/j1/status.json", within()).error().code, ErrorCode::NotFound);
    QCOMPARE(gcs.head("jobs/j1/status.json", within()).error().code, ErrorCode::NotFound);
    const auto access = gcp.issueInstanceAccess("j1", "jobs/j1/", 0, within());
    QVERIFY(access.ok());
    QCOMPARE(access->kind, std::string("service-account"));
  }

  void resumableUploadResumesWhereTheServerSaysIt() {
    QTemporaryDir dir;
    const std::filesystem::path in = dir.filePath(QStringLiteral("code.tar.gz")).toStdString();
    const std::filesystem::path out = dir.filePath(QStringLiteral("back.tar.gz")).toStdString();
    std::string data(6 * 256 * 1024 - 1000, '\0');
    std::mt19937 rng(9);
    for (auto& c : data) c = static_cast<char>(rng());
    std::ofstream(in, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
    // The first chunk is stored but its answer is lost: the client asks, and goes on from there.
    m_gce->fault(faultSpec({{QStringLiteral("kind"), QStringLiteral("late")}, {QStringLiteral("seconds"), 3},
                            {QStringLiteral("match"), QStringLiteral("^PUT /upload/[^ ]*upload_id=")}, {QStringLiteral("count"), 1}}));
    GcsStore gcs(storageSettings(), transport());
    const auto put = gcs.putFile("jobs/big/code.tar.gz", in, within(std::chrono::seconds(60)));
    QVERIFY2(put.ok(), put.ok() ? "" : put.error().toString().c_str());
    const auto puts = m_gce->requests(QStringLiteral("^PUT /upload/"));
    int statusQueries = 0;
    for (const auto& p : puts)
      statusQueries += p.toObject().value(QStringLiteral("headers")).toObject().value(QStringLiteral("Content-Range"))
                           .toString().startsWith(QStringLiteral("bytes */")) ? 1 : 0;
    QCOMPARE(statusQueries, 1);
    QCOMPARE(puts.size(), 6 + 1);  // each chunk sent once (the lost answer's too), plus the status query
    QVERIFY(gcs.getFile("jobs/big/code.tar.gz", out, within()).ok());
    QVERIFY(test::readText(out) == data);

    m_gce->clear();
    m_gce->fault(faultSpec({{QStringLiteral("kind"), QStringLiteral("status")}, {QStringLiteral("status"), 503},
                            {QStringLiteral("match"), QStringLiteral("^PUT /upload/[^ ]*upload_id=")}, {QStringLiteral("count"), 1}}));
    QVERIFY(gcs.putFile("jobs/big/again.tar.gz", in, within(std::chrono::seconds(60))).ok());
    QCOMPARE(gcs.head("jobs/big/again.tar.gz", within())->size, std::uint64_t{data.size()});
  }

  void fiftyInstancesAreDescribedWithOneCallPerCycle() {
    GceCompute gce(settings(), transport());
    std::vector<InstanceRef> refs;
    for (int n = 0; n < 50; ++n) {
      auto s = spec("job-fifty-" + std::to_string(n), 1);
      s.zone = n % 2 ? "us-central1-b" : "us-east1-c";
      const auto i = gce.launch(s, within());
      QVERIFY2(i.ok(), i.ok() ? "" : i.error().toString().c_str());
      refs.push_back({i->region, i->id});
    }
    m_gce->clear();
    for (int cycle = 1; cycle <= 3; ++cycle) {
      const auto d = gce.describe(refs, within());
      QVERIFY(d.ok());
      QCOMPARE(d->size(), std::size_t{50});
      for (const auto& i : *d) QVERIFY(i.state != InstanceState::Terminated);
      // aggregatedList covers every zone of every region in one call.
      QCOMPARE(m_gce->requests(QStringLiteral("^GET ")).size(), cycle);
    }
  }
};

QTEST_APPLESS_MAIN(GcpLabTest)
#include "GcpLabTest.moc"
