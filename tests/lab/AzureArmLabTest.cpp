// Azure compute against the lab: the ARM contract server (AD client-credentials tokens, the
// 2023-03-01 VirtualMachine model, long-running operations, Spot eviction) with faults.

#include <set>

#include "LabPeer.h"
#include "core/auth/azure/AzureCredentials.h"
#include "core/cloud/Encoding.h"
#include "core/cloud/azure/ArmCompute.h"
#include "core/http/CurlHttpClient.h"

using namespace spotwise;
using namespace spotwise::cloud;
using namespace spotwise::cloud::azure;
using spotwise::test::faultSpec;
using spotwise::test::within;

namespace {

const QString kVmPut = QStringLiteral("^PUT /subscriptions/[^ ]*/virtualMachines/");

}  // namespace

class AzureArmLabTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::LabPeer> m_arm;
  http::CurlHttpClient m_http;
  test::RecordingSleeper m_sleeper;
  http::RealSteadyClock m_clock;
  std::unique_ptr<auth::azure::ClientSecretTokenSource> m_tokens;

  auth::azure::ServicePrincipal principal() {
    auth::azure::ServicePrincipal p;
    p.tenantId = m_arm->value("tenantId");
    p.clientId = m_arm->value("clientId");
    p.clientSecret = m_arm->value("clientSecret");
    p.subscriptionId = m_arm->value("subscriptionId");
    p.authorityHost = m_arm->value("authorityHost");
    return p;
  }

  ArmSettings settings() {
    ArmSettings s;
    s.subscriptionId = m_arm->value("subscriptionId");
    s.endpoint = m_arm->value("endpoint");
    s.defaultLocation = "eastus";
    s.sshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxhYi1vbmx5LW5vdC1hLXJlYWwta2V5LWF0LWFsbA spotwise-lab";
    s.tokens = m_tokens.get();
    return s;
  }

  Transport transport() { return test::labTransport(m_http, m_sleeper, m_clock, 11); }

  static LaunchSpec spec(const std::string& job, int attempt) {
    LaunchSpec s;
    s.jobId = job;
    s.attempt = attempt;
    s.region = "eastus";
    s.instanceType = "Standard_NC4as_T4_v3";
    s.startupScript = "#!/bin/sh\necho spotwise\n";
    return s;
  }

  QJsonArray resources() { return m_arm->command({{QStringLiteral("cmd"), QStringLiteral("resources")}}).toArray(); }
  int count(const char* kind) {
    int n = 0;
    for (const auto& r : resources()) n += r.toObject().value(QStringLiteral("kind")).toString() == QLatin1String(kind);
    return n;
  }

 private Q_SLOTS:
  void initTestCase() {
    m_arm = test::pythonPeer("arm_server.py");
    SPOTWISE_REQUIRE_PEER(*m_arm);
    m_tokens = std::make_unique<auth::azure::ClientSecretTokenSource>(principal(), m_http);
  }
  void init() {
    m_arm->clear();
    m_sleeper.reset();
  }
  void cleanupTestCase() {
    m_tokens.reset();
    m_arm.reset();
  }

  void launchRunningTerminateLeavesNothingBilling() {
    ArmCompute arm(settings(), transport());
    auto s = spec("job-basic", 1);
    s.maxPricePerHour = 0.35;
    const auto launched = arm.launch(s, within());
    QVERIFY2(launched.ok(), launched.ok() ? "" : launched.error().toString().c_str());
    QCOMPARE(launched->id, std::string("spotwise-job-basic-1"));
    QCOMPARE(launched->state, InstanceState::Running);
    QCOMPARE(launched->jobId, std::string("job-basic"));
    QVERIFY(launched->spot);
    const auto puts = m_arm->requests(kVmPut);
    QCOMPARE(puts.size(), 1);
    const auto body = QJsonDocument::fromJson(puts[0].toObject().value(QStringLiteral("body")).toString().toUtf8()).object();
    const auto props = body.value(QStringLiteral("properties")).toObject();
    QCOMPARE(props.value(QStringLiteral("priority")).toString(), QStringLiteral("Spot"));
    QCOMPARE(props.value(QStringLiteral("evictionPolicy")).toString(), QStringLiteral("Delete"));
    QCOMPARE(props.value(QStringLiteral("billingProfile")).toObject().value(QStringLiteral("maxPrice")).toDouble(), 0.35);
    const auto customData = props.value(QStringLiteral("osProfile")).toObject().value(QStringLiteral("customData")).toString();
    QCOMPARE(base64Decode(customData.toStdString()).value_or(""), s.startupScript);
    QCOMPARE(body.value(QStringLiteral("tags")).toObject().value(QStringLiteral("spotwise-attempt")).toString(), QStringLiteral("1"));
    // The long-running operation was followed through Azure-AsyncOperation.
    QVERIFY(m_arm->requests(QStringLiteral("^GET /subscriptions/[^ ]*/operations/")).size() >= 1);
    QCOMPARE(count("nic"), 1);
    QCOMPARE(count("publicip"), 1);
    QCOMPARE(count("disk"), 1);

    QVERIFY(arm.terminate({{"eastus", launched->id}}, within()).ok());
    for (int i = 0; i < 40 && count("vm") > 0; ++i) QThread::msleep(50);
    const auto d = arm.describe({{"eastus", launched->id}}, within());
    QVERIFY(d.ok());
    QCOMPARE(d->front().state, InstanceState::Terminated);
    // The Activity Log says it was deleted (by us), not evicted.
    QCOMPARE(d->front().endReason, EndReason::User);
    // NIC, public IP and OS disk went with the VM (deleteOption Delete): nothing left billing.
    QCOMPARE(count("nic") + count("publicip") + count("disk"), 0);
  }

  void theContractServerRejectsWhatArmWould() {
    auto token = m_tokens->accessToken({});
    QVERIFY(token.ok());
    auto body = buildVmBody(spec("job-bad", 1), settings(), "eastus", "/subscriptions/x/subnet");
    QVERIFY(body.ok());
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"\"evictionPolicy\":\"Delete\"", "\"evictionPolicy\":\"Destroy\""},
             {"\"priority\":\"Spot\"", "\"priority\":\"Spot\",\"spotPolicy\":\"cheap\""},
             {"\"maxPrice\":-1.0", "\"maxPrice\":0.0"}}) {
      std::string bad = *body;
      QVERIFY2(bad.find(from) != std::string::npos, from.c_str());
      bad.replace(bad.find(from), from.size(), to);
      http::Request r;
      r.method = "PUT";
      r.url = m_arm->value("endpoint") + "/subscriptions/" + m_arm->value("subscriptionId") +
              "/resourceGroups/spotwise/providers/Microsoft.Compute/virtualMachines/spotwise-bad-1?api-version=2023-03-01";
      r.headers = {{"Authorization", "Bearer " + *token}, {"Content-Type", "application/json"}};
      r.body = bad;
      const auto response = m_http.send(r);
      QVERIFY(response.ok());
      QCOMPARE(response->status, 400);
      const Error e = armError("VirtualMachines.CreateOrUpdate", *response);
      QCOMPARE(e.code, ErrorCode::InvalidArgument);
      qInfo("rejected as expected: %s", e.toString().c_str());
    }
  }

  void evictionEndsTheInstance() {
    ArmCompute arm(settings(), transport());
    const auto launched = arm.launch(spec("job-evict", 1), within());
    QVERIFY(launched.ok());
    // A second VM that is still running: describing both reads the Activity Log once, and only
    // for the one that is gone.
    const auto other = arm.launch(spec("job-evict", 2), within());
    QVERIFY(other.ok());
    m_arm->command({{QStringLiteral("cmd"), QStringLiteral("evict")}, {QStringLiteral("name"), QString::fromStdString(launched->id)}});
    m_arm->clear();
    const auto d = arm.describe({{"eastus", launched->id}, {"eastus", other->id}}, within());
    QVERIFY(d.ok());
    QCOMPARE(d->front().state, InstanceState::Terminated);
    QCOMPARE(d->front().endReason, EndReason::SpotInterruption);
    QCOMPARE(d->front().stateMessage, std::string("evicted by Azure (Spot)"));
    QVERIFY(d->front().endedAtMs > 0);
    QCOMPARE(d->back().state, InstanceState::Running);
    QCOMPARE(d->back().endReason, EndReason::None);
    const auto reads = m_arm->requests(QStringLiteral("^GET /subscriptions/[^ ]*/Microsoft.Insights/eventtypes/management/values"));
    QCOMPARE(reads.size(), 1);
    // The documented filter: a start time and the resource group.
    const QString query = QUrl::fromPercentEncoding(reads[0].toObject().value(QStringLiteral("query")).toString().toUtf8());
    QVERIFY2(query.contains(QStringLiteral("$filter=eventTimestamp ge '")) &&
                 query.contains(QStringLiteral("resourceGroupName eq 'spotwise'")),
             qPrintable(query));
    QVERIFY(arm.terminate({{"eastus", other->id}}, within()).ok());
    for (int i = 0; i < 40 && count("vm") > 0; ++i) QThread::msleep(50);
    QCOMPARE(count("nic") + count("publicip") + count("disk"), 0);
  }

  void errorsAreMapped_data() {
    QTest::addColumn<QString>("how");
    QTest::addColumn<QString>("code");
    QTest::addColumn<int>("expected");
    QTest::newRow("allocation (operation)") << QStringLiteral("operation") << QStringLiteral("AllocationFailed") << int(ErrorCode::ResourceExhausted);
    QTest::newRow("quota (operation)") << QStringLiteral("operation") << QStringLiteral("OperationNotAllowed") << int(ErrorCode::ResourceExhausted);
    QTest::newRow("sku (sync 409)") << QStringLiteral("sync") << QStringLiteral("SkuNotAvailable") << int(ErrorCode::ResourceExhausted);
    QTest::newRow("forbidden (sync 403)") << QStringLiteral("sync") << QStringLiteral("AuthorizationFailed") << int(ErrorCode::PermissionDenied);
  }
  void errorsAreMapped() {
    QFETCH(QString, how);
    QFETCH(QString, code);
    QFETCH(int, expected);
    const QString message = QStringLiteral("Lab: %1 for Standard_NC4as_T4_v3 in eastus.").arg(code);
    if (how == QLatin1String("operation")) {
      m_arm->command({{QStringLiteral("cmd"), QStringLiteral("operationError")}, {QStringLiteral("code"), code},
                      {QStringLiteral("message"), message}});
    } else {
      m_arm->fault(faultSpec({{QStringLiteral("kind"), QStringLiteral("status")},
                              {QStringLiteral("status"), code == QLatin1String("AuthorizationFailed") ? 403 : 409},
                              {QStringLiteral("match"), kVmPut},
                              {QStringLiteral("body"), QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                  QJsonObject{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}}}}).toJson(QJsonDocument::Compact))}}));
    }
    static int n = 0;
    ArmCompute arm(settings(), transport());
    const auto launched = arm.launch(spec("job-error-" + std::to_string(++n), 1), within());
    QVERIFY(!launched.ok());
    QCOMPARE(int(launched.error().code), expected);
    QCOMPARE(launched.error().providerCode, code.toStdString());
    QCOMPARE(launched.error().message, "VirtualMachines.CreateOrUpdate: " + message.toStdString());
    QVERIFY(!isTransient(launched.error()));
    // Whatever the failed deployment had created is deleted again: nothing left billing.
    for (int i = 0; i < 40 && count("vm") > 0; ++i) QThread::msleep(50);
    QCOMPARE(count("vm") + count("nic") + count("publicip") + count("disk"), 0);
  }

  void retriesSendTheSamePut_data() {
    QTest::addColumn<QJsonObject>("fault");
    QTest::addColumn<int>("minSleepMs");
    QTest::newRow("429 Retry-After")
        << test::statusFault(429, QStringLiteral("{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"Throttled.\"}}"), {}, 4) << 4000;
    QTest::newRow("500") << test::statusFault(500, QStringLiteral("{\"error\":{\"code\":\"InternalServerError\",\"message\":\"Oops.\"}}")) << 0;
    QTest::newRow("503") << test::statusFault(503, {}) << 0;
    test::addTransportFaultRows("not json");
  }
  void retriesSendTheSamePut() {
    QFETCH(QJsonObject, fault);
    QFETCH(int, minSleepMs);
    static int n = 0;
    const std::string job = "job-retry-" + std::to_string(++n);
    fault.insert(QStringLiteral("match"), kVmPut);
    fault.insert(QStringLiteral("count"), 2);
    m_arm->fault(fault);
    const int before = count("vm");
    ArmCompute arm(settings(), transport());
    const auto launched = arm.launch(spec(job, 2), within());
    QVERIFY2(launched.ok(), launched.ok() ? "" : launched.error().toString().c_str());
    const auto puts = m_arm->requests(kVmPut);
    QCOMPARE(puts.size(), 3);
    for (const auto& p : puts) {
      QCOMPARE(p.toObject().value(QStringLiteral("path")).toString(), puts[0].toObject().value(QStringLiteral("path")).toString());
      QCOMPARE(p.toObject().value(QStringLiteral("body")).toString(), puts[0].toObject().value(QStringLiteral("body")).toString());
    }
    QCOMPARE(count("vm"), before + 1);  // a PUT of one name is one VM, however many tries
    // Operation polls wait too (1 s, the server's Retry-After): the longest wait is the 429's.
    const auto sleeps = m_sleeper.sleeps();
    QVERIFY(!sleeps.empty());
    QVERIFY(std::max_element(sleeps.begin(), sleeps.end())->count() >= minSleepMs);
  }

  void credentialsProblemsAreClear() {
    auto wrong = principal();
    wrong.clientSecret = "not-the-secret";
    auth::azure::ClientSecretTokenSource badTokens(wrong, m_http);
    auto s = settings();
    s.tokens = &badTokens;
    ArmCompute arm(s, transport());
    const auto denied = arm.listByTag("", {}, within());
    QVERIFY(!denied.ok());
    QCOMPARE(denied.error().code, ErrorCode::Unauthenticated);
    QVERIFY2(denied.error().message.find("AADSTS7000215") != std::string::npos, denied.error().message.c_str());
    QVERIFY(denied.error().message.find("not-the-secret") == std::string::npos);

    auth::azure::ClientSecretTokenSource tokens(principal(), m_http);
    s.tokens = &tokens;
    ArmCompute fresh(s, transport());
    QVERIFY(fresh.listByTag("", {}, within()).ok());
    const auto before = tokens.accessToken({});
    QVERIFY(before.ok());
    // ARM stops accepting the cached token long before its expires_in (revoked, or the lab's
    // expireTokens): the refused token is dropped, a new one fetched, and the call sent again once.
    m_arm->command({{QStringLiteral("cmd"), QStringLiteral("expireTokens")}});
    m_arm->clear();
    const auto recovered = fresh.listByTag("", {}, within());
    QVERIFY2(recovered.ok(), recovered.ok() ? "" : recovered.error().toString().c_str());
    QCOMPARE(m_arm->requests(QStringLiteral("^POST /[^ ]*/oauth2/v2.0/token")).size(), 1);
    QCOMPARE(m_arm->requests(QStringLiteral("^GET /subscriptions/[^ ]*/virtualMachines")).size(), 2);
    const auto after = tokens.accessToken({});
    QVERIFY(after.ok());
    QVERIFY(*after != *before);
    QVERIFY(m_sleeper.sleeps().empty());  // a refused credential is not a transient failure: no backoff

    // A fresh token refused too is not retried again: one resend per call, then the error.
    m_arm->clear();
    m_arm->fault(faultSpec({{QStringLiteral("kind"), QStringLiteral("status")},
                            {QStringLiteral("status"), 401},
                            {QStringLiteral("count"), 5},
                            {QStringLiteral("match"), QStringLiteral("^GET /subscriptions/[^ ]*/virtualMachines")},
                            {QStringLiteral("body"), QStringLiteral("{\"error\":{\"code\":\"InvalidAuthenticationToken\","
                                                                    "\"message\":\"The access token is invalid.\"}}")}}));
    const auto refused = fresh.listByTag("", {}, within());
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::Unauthenticated);
    QCOMPARE(refused.error().providerCode, std::string("InvalidAuthenticationToken"));
    QCOMPARE(m_arm->requests(QStringLiteral("^GET /subscriptions/[^ ]*/virtualMachines")).size(), 2);
    QCOMPARE(m_arm->requests(QStringLiteral("^POST /[^ ]*/oauth2/v2.0/token")).size(), 1);
    m_arm->clear();
    // The shared token source's token was expired too: start the remaining tests with a new one.
    m_tokens = std::make_unique<auth::azure::ClientSecretTokenSource>(principal(), m_http);
  }

  void listByTagAndFiftyInOneCallPerCycle() {
    ArmCompute arm(settings(), transport());
    std::vector<InstanceRef> refs;
    for (int n = 0; n < 50; ++n) {
      auto s = spec("job-fifty", n + 1);
      s.region = n % 2 ? "westeurope" : "eastus";
      const auto i = arm.launch(s, within());
      QVERIFY2(i.ok(), i.ok() ? "" : i.error().toString().c_str());
      refs.push_back({i->region, i->id});
    }
    const auto mine = arm.listByTag("job-fifty", {}, within());
    QVERIFY(mine.ok());
    QCOMPARE(mine->size(), std::size_t{50});
    const auto europe = arm.listByTag("job-fifty", {"westeurope"}, within());
    QCOMPARE(europe->size(), std::size_t{25});
    m_arm->clear();
    for (int cycle = 1; cycle <= 3; ++cycle) {
      const auto d = arm.describe(refs, within());
      QVERIFY(d.ok());
      QCOMPARE(d->size(), std::size_t{50});
      for (const auto& i : *d) QCOMPARE(i.state, InstanceState::Running);
      QCOMPARE(m_arm->requests(QStringLiteral("^GET ")).size(), cycle);
    }
  }
};

QTEST_APPLESS_MAIN(AzureArmLabTest)
#include "AzureArmLabTest.moc"
