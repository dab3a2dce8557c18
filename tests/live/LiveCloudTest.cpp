// The providers against the real clouds (label `live`: never in the default or CI run, see
// CMakePresets.json). Each provider's part runs only when real credentials are in the
// environment, and is skipped otherwise — in CI too. What it costs: read-only describe/list calls
// and one tiny object written, read and deleted. Launching a real spot GPU (minutes of a GPU's
// price) happens only with SPOTWISE_LIVE_LAUNCH=1, and is always torn down and verified gone.
//
//   AWS:   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), SPOTWISE_LIVE_AWS_REGION
//          (default us-east-1), SPOTWISE_LIVE_AWS_BUCKET for the object test.
//   GCP:   GOOGLE_APPLICATION_CREDENTIALS, SPOTWISE_LIVE_GCP_PROJECT, SPOTWISE_LIVE_GCS_BUCKET
//          for the object test, SPOTWISE_LIVE_GCP_ZONE (default us-central1-a).
//   Azure: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_SUBSCRIPTION_ID;
//          SPOTWISE_LIVE_AZURE_STORAGE_ACCOUNT + SPOTWISE_LIVE_AZURE_STORAGE_KEY for the object test.
//
//   ctest --test-dir build/dev -L live --output-on-failure   (the dev preset excludes the label)

#include <QTest>
#include <QThread>

#include <random>

#include "TestSupport.h"
#include "core/auth/aws/AwsConfig.h"
#include "core/auth/azure/AzureCredentials.h"
#include "core/auth/gcp/GcpCredentials.h"
#include "core/auth/gcp/GcpTokenSources.h"
#include "core/cloud/aws/AwsProvider.h"
#include "core/cloud/azure/AzureProvider.h"
#include "core/cloud/gcp/GcpProvider.h"
#include "core/http/CurlHttpClient.h"

using namespace spotwise;
using namespace spotwise::cloud;

namespace {

std::optional<std::string> env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string envOr(const std::string& name, std::string fallback) { return env(name).value_or(std::move(fallback)); }

CallOptions within(std::chrono::seconds s = std::chrono::seconds(60)) {
  CallOptions o;
  o.deadline = std::chrono::steady_clock::now() + s;
  return o;
}

std::string runId() {
  std::random_device rd;
  char id[32];
  std::snprintf(id, sizeof id, "live-%08x", static_cast<unsigned>(rd()));
  return id;
}

#define LIVE_OK(expr)                                                                   \
  do {                                                                                  \
    const auto& r_ = (expr);                                                            \
    QVERIFY2(r_.ok(), r_.ok() ? "" : r_.error().toString().c_str());                    \
  } while (false)

/** The tiny object round trip every provider's storage must pass. */
void objectRoundTrip(ObjectStore& store, const std::string& prefix) {
  const std::string key = prefix + "/hello.txt";
  LIVE_OK(store.put(key, "spotwise live test", within()));
  const auto got = store.get(key, within());
  LIVE_OK(got);
  QCOMPARE(*got, std::string("spotwise live test"));
  const auto head = store.head(key, within());
  LIVE_OK(head);
  QCOMPARE(head->size, std::uint64_t{18});
  const auto listed = store.list(prefix + "/", within());
  LIVE_OK(listed);
  QCOMPARE(listed->size(), std::size_t{1});
  LIVE_OK(store.remove(key, within()));
  QCOMPARE(store.head(key, within()).error().code, ErrorCode::NotFound);
}

}  // namespace

class LiveCloudTest : public QObject {
  Q_OBJECT

  http::CurlHttpClient m_http;

 private Q_SLOTS:
  void aws() {
    if (!env("AWS_ACCESS_KEY_ID") && !env("AWS_PROFILE")) QSKIP("no AWS credentials (AWS_ACCESS_KEY_ID or AWS_PROFILE)");
    auth::aws::AwsResolverOptions resolver;
    resolver.env = env;
    resolver.client = &m_http;
    resolver.runProcess = auth::aws::systemProcessRunner();
    const auto credentials = auth::aws::resolveAwsCredentials(resolver);
    LIVE_OK(credentials);
    const std::string region = envOr("SPOTWISE_LIVE_AWS_REGION", "us-east-1");
    const auto identity = auth::aws::getCallerIdentity(m_http, credentials->credentials,
                                                       auth::aws::stsEndpoint(env, region), region, {});
    LIVE_OK(identity);
    qInfo("AWS identity: %s", identity->arn.c_str());

    aws::AwsSettings settings;
    settings.credentials = credentials->credentials;
    settings.defaultRegion = region;
    settings.regions = {region};
    settings.bucket = envOr("SPOTWISE_LIVE_AWS_BUCKET", "");
    settings.bucketRegion = region;
    aws::AwsProvider provider(settings, realTransport(m_http));
    auto& ec2 = provider.compute();
    const auto types = ec2.describeInstanceTypes(region, {"g4dn.xlarge"}, within());
    LIVE_OK(types);
    QCOMPARE(types->size(), std::size_t{1});
    QVERIFY(!types->front().gpus.empty());
    const auto prices = ec2.spotPriceHistory(region, {"g4dn.xlarge"}, "", auth::systemUnixNow() - 3600, within());
    LIVE_OK(prices);
    const auto image = ec2.resolveGpuImage(region, within());
    LIVE_OK(image);
    QVERIFY(image->starts_with("ami-"));
    LIVE_OK(ec2.listByTag("", {region}, within()));
    if (!settings.bucket.empty()) objectRoundTrip(provider.storage(), "spotwise-live/" + runId());
    else qInfo("SPOTWISE_LIVE_AWS_BUCKET not set: object round trip skipped");

    if (envOr("SPOTWISE_LIVE_LAUNCH", "") != "1") return;
    LaunchSpec spec;
    spec.jobId = runId();
    spec.region = region;
    spec.instanceType = envOr("SPOTWISE_LIVE_AWS_TYPE", "g4dn.xlarge");
    spec.startupScript = "#!/bin/sh\nshutdown -h +2\n";  // the instance ends itself even if we do not
    spec.rootVolumeGiB = 100;
    const auto launched = ec2.launch(spec, within(std::chrono::seconds(120)));
    if (launched.ok()) {
      for (int i = 0; i < 24; ++i) {
        const auto d = ec2.describe({{region, launched->id}}, within());
        if (d.ok() && d->front().state == InstanceState::Running) break;
        QThread::sleep(5);
      }
      QThread::sleep(120);
      LIVE_OK(ec2.terminate({{region, launched->id}}, within()));
    }
    // Whatever happened, nothing of this run may be left running.
    for (int i = 0; i < 60; ++i) {
      const auto left = ec2.listByTag(spec.jobId, {region}, within());
      LIVE_OK(left);
      if (std::all_of(left->begin(), left->end(), [](const Instance& x) { return x.state == InstanceState::Terminated; })) break;
      for (const auto& x : *left) (void)ec2.terminate({{region, x.id}}, within());
      QThread::sleep(5);
    }
    LIVE_OK(launched);
  }

  void gcp() {
    const auto project = env("SPOTWISE_LIVE_GCP_PROJECT");
    if (!env("GOOGLE_APPLICATION_CREDENTIALS") || !project)
      QSKIP("no GCP credentials (GOOGLE_APPLICATION_CREDENTIALS and SPOTWISE_LIVE_GCP_PROJECT)");
    const auto credentials = auth::gcp::loadApplicationDefaultCredentials(env);
    LIVE_OK(credentials);
    auto tokens = auth::gcp::makeTokenSource(*credentials, {std::string(auth::gcp::kCloudPlatformScope)}, m_http);
    const auto token = tokens->accessToken({});
    LIVE_OK(token);

    // The default boot image family exists in Google's catalogue and is not deprecated.
    const auto image = gcp::sourceImageUrl("");
    LIVE_OK(image);
    http::Request request;
    request.url = "https://compute.googleapis.com/compute/v1/" + *image;
    request.headers = {{"Authorization", "Bearer " + *token}};
    const auto family = m_http.send(request);
    LIVE_OK(family);
    QVERIFY2(family->status == 200, (std::to_string(family->status) + " for " + request.url).c_str());
    QVERIFY2(family->body.find("\"deprecated\"") == std::string::npos, family->body.substr(0, 400).c_str());

    gcp::GcpSettings settings;
    settings.project = *project;
    settings.defaultZone = envOr("SPOTWISE_LIVE_GCP_ZONE", "us-central1-a");
    settings.tokens = tokens.get();
    gcp::GcsSettings storage;
    storage.bucket = envOr("SPOTWISE_LIVE_GCS_BUCKET", "");
    storage.tokens = tokens.get();
    gcp::GcpProvider provider(settings, storage, realTransport(m_http));
    LIVE_OK(provider.compute().listByTag("", {}, within()));
    if (!storage.bucket.empty()) objectRoundTrip(provider.storage(), "spotwise-live/" + runId());
    else qInfo("SPOTWISE_LIVE_GCS_BUCKET not set: object round trip skipped");
  }

  void azure() {
    auto principal = auth::azure::servicePrincipalFromEnvironment(env);
    if (!principal.ok() && principal.error().code == ErrorCode::NotFound)
      QSKIP("no Azure credentials (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_SUBSCRIPTION_ID)");
    LIVE_OK(principal);
    auth::azure::ClientSecretTokenSource tokens(*principal, m_http);
    LIVE_OK(tokens.accessToken({}));
    azure::ArmSettings arm;
    arm.subscriptionId = principal->subscriptionId;
    arm.tokens = &tokens;
    azure::BlobSettings blob;
    const auto account = env("SPOTWISE_LIVE_AZURE_STORAGE_ACCOUNT");
    const auto key = env("SPOTWISE_LIVE_AZURE_STORAGE_KEY");
    if (account && key) {
      blob.endpoint = "https://" + *account + ".blob.core.windows.net";
      blob.container = "spotwise-live";
      blob.containerPerJob = false;  // one container, removed object by object below
      blob.accountKey = auth::azure::StorageAccountKey{*account, *key};
    }
    azure::AzureProvider provider(arm, blob, realTransport(m_http));
    // Lists every VM of the subscription (one call), and reads nothing else.
    LIVE_OK(provider.compute().listByTag("", {}, within()));
    if (account && key) {
      LIVE_OK(provider.storage().ensureContainer(within()));
      objectRoundTrip(provider.storage(), runId());
    } else {
      qInfo("SPOTWISE_LIVE_AZURE_STORAGE_ACCOUNT/KEY not set: object round trip skipped");
    }
  }
};

QTEST_APPLESS_MAIN(LiveCloudTest)
#include "LiveCloudTest.moc"
